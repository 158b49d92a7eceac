"""MobileNet-style depthwise-separable blocks with BatchNorm and ReLU6."""

import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False),
    layers.BatchNormalization(),
    layers.ReLU(max_value=6),
    layers.DepthwiseConv2D(3, padding="same", use_bias=False),
    layers.BatchNormalization(),
    layers.ReLU(max_value=6),
    layers.Conv2D(32, 1, use_bias=False),
    layers.BatchNormalization(),
    layers.ReLU(max_value=6),
    layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2),
    layers.Conv2D(32, 1, activation="relu"),
    layers.GlobalAveragePooling2D(),
    layers.Dense(10),
])
