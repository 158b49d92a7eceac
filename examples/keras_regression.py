"""Seed example: a small Keras regression model, compiled with adam/mse and fitted for 10 epochs."""

import numpy as np
from tensorflow import keras
from tensorflow.keras.layers import Dense

X = np.random.rand(100, 10).astype("float32")
y = np.random.rand(100).astype("float32")

model = keras.Sequential([Dense(64, activation='relu', input_shape=(10,)), Dense(1)])
model.compile(optimizer='adam', loss='mse')
model.fit(X, y, epochs=10)
