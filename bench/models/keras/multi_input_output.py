"""Two inputs (image + metadata) and two outputs (class logits + a regression score)."""

import keras
from keras import layers

image = keras.Input(shape=(16, 16, 1), name="image")
meta = keras.Input(shape=(5,), name="meta")
x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(image)
x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
x = layers.GlobalAveragePooling2D()(x)
m = layers.Dense(8, activation="relu")(meta)
h = layers.concatenate([x, m])
logits = layers.Dense(3, name="logits")(h)
score = layers.Dense(1, activation="sigmoid", name="score")(h)
model = keras.Model(inputs=[image, meta], outputs=[logits, score])
