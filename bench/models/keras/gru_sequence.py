"""Sequence regressor: two GRUs (reset_after=True, Keras' default) over 12-feature steps."""

import tensorflow as tf

model = tf.keras.Sequential([
    tf.keras.layers.GRU(24, return_sequences=True, input_shape=(20, 12)),
    tf.keras.layers.GRU(12),
    tf.keras.layers.Dense(1),
])
