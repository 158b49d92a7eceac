"""Embedding model: token embeddings averaged over the sequence, then a small MLP."""

import keras
from keras import layers

tokens = keras.Input(shape=(16,), dtype="int64")
x = layers.Embedding(input_dim=500, output_dim=24)(tokens)
x = layers.GlobalAveragePooling1D()(x)
x = layers.Dense(32, activation="relu")(x)
outputs = layers.Dense(5)(x)
model = keras.Model(tokens, outputs)
