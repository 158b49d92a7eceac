"""1-D audio net: strided Conv1D front end, pooling, global max pooling, classifier."""

from tensorflow import keras
from tensorflow.keras.layers import (
    BatchNormalization,
    Conv1D,
    Dense,
    GlobalMaxPooling1D,
    MaxPooling1D,
)

model = keras.Sequential([
    Conv1D(16, 9, strides=4, padding="same", activation="relu", input_shape=(400, 1)),
    BatchNormalization(),
    MaxPooling1D(4),
    Conv1D(32, 5, padding="same", activation="relu"),
    Conv1D(32, 3, dilation_rate=2, padding="causal", activation="relu"),
    GlobalMaxPooling1D(),
    Dense(8),
])
