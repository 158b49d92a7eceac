"""A builder function returning a functional model (the common tutorial shape)."""

import keras
from keras import layers


def build_model(num_classes=3):
    inputs = keras.Input(shape=(12, 12, 2))
    x = layers.Conv2D(6, 3, activation="elu")(inputs)
    x = layers.ZeroPadding2D(1)(x)
    x = layers.Conv2D(6, 3, strides=2)(x)
    x = layers.GlobalMaxPooling2D()(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


model = build_model()
