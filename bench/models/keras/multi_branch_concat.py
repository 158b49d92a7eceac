"""Inception-like functional model: three parallel branches joined with Concatenate."""

import keras
from keras import layers

inputs = keras.Input(shape=(24, 24, 3))
b1 = layers.Conv2D(8, 1, activation="relu")(inputs)
b2 = layers.Conv2D(8, 1, activation="relu")(inputs)
b2 = layers.Conv2D(8, 3, padding="same", activation="relu")(b2)
b3 = layers.MaxPooling2D(3, strides=1, padding="same")(inputs)
b3 = layers.Conv2D(8, 1, activation="relu")(b3)
x = layers.Concatenate(axis=-1)([b1, b2, b3])
x = layers.MaxPooling2D()(x)
x = layers.Flatten()(x)
outputs = layers.Dense(6)(x)
model = keras.Model(inputs, outputs)
