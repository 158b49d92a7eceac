"""Transformer encoder block: self-attention, residuals, LayerNormalization, feed-forward."""

import keras
from keras import layers

EMBED, HEADS, FF = 32, 4, 64

inputs = keras.Input(shape=(10, EMBED))
attn = layers.MultiHeadAttention(num_heads=HEADS, key_dim=EMBED // HEADS)(inputs, inputs)
x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([inputs, attn]))
ff = layers.Dense(FF, activation="gelu")(x)
ff = layers.Dense(EMBED)(ff)
x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, ff]))
x = layers.GlobalAveragePooling1D()(x)
outputs = layers.Dense(3, activation="softmax")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
