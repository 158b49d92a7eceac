"""Text classifier: Embedding, stacked bidirectional LSTMs, sigmoid output."""

import keras
from keras import layers

VOCAB = 1000

model = keras.Sequential([
    keras.Input(shape=(40,), dtype="int32"),
    layers.Embedding(VOCAB, 32),
    layers.Bidirectional(layers.LSTM(32, return_sequences=True)),
    layers.Bidirectional(layers.LSTM(16)),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
