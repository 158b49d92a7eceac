"""VGG-style block: Conv/BN/ReLU pairs, average pooling, LeakyReLU head."""

import keras
from keras.layers import (
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Flatten,
    LeakyReLU,
    ReLU,
)

model = keras.Sequential()
model.add(keras.Input(shape=(20, 20, 3)))
model.add(Conv2D(12, 3, padding="same"))
model.add(BatchNormalization(epsilon=1e-5))
model.add(ReLU())
model.add(Conv2D(12, 3, padding="same"))
model.add(BatchNormalization(epsilon=1e-5))
model.add(ReLU())
model.add(AveragePooling2D(2))
model.add(Flatten())
model.add(Dense(16))
model.add(LeakyReLU(negative_slope=0.1))
model.add(Dense(2))
