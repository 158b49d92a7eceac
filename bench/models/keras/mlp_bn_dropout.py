"""Tabular MLP with BatchNormalization and Dropout, trained with compile/fit."""

import keras
import numpy as np
from keras import layers

X = np.random.rand(256, 20).astype("float32")
y = np.random.randint(0, 3, size=(256,))

model = keras.Sequential([
    layers.Dense(64, input_shape=(20,)),
    layers.BatchNormalization(momentum=0.9),
    layers.Activation("relu"),
    layers.Dropout(0.3),
    layers.Dense(32, activation="relu"),
    layers.Dropout(0.3),
    layers.Dense(3),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(X, y, epochs=2, batch_size=64)
