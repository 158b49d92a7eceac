"""Functional ResNet-style block: two convolutions and an identity shortcut with Add."""

from tensorflow import keras
from tensorflow.keras import layers

inputs = keras.Input(shape=(16, 16, 8))
x = layers.Conv2D(8, 3, padding="same")(inputs)
x = layers.BatchNormalization()(x)
x = layers.Activation("relu")(x)
x = layers.Conv2D(8, 3, padding="same")(x)
x = layers.BatchNormalization()(x)
x = layers.Add()([x, inputs])
x = layers.ReLU()(x)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(4)(x)
model = keras.Model(inputs, outputs, name="residual_block")
