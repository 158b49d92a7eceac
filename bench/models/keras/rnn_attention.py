"""GRU encoder followed by multi-head self-attention and pooling."""

import keras
from keras import layers

inputs = keras.Input(shape=(15, 6))
h = layers.GRU(16, return_sequences=True)(inputs)
a = layers.MultiHeadAttention(num_heads=2, key_dim=8)(query=h, value=h)
h = layers.LayerNormalization()(h + a)
pooled = layers.GlobalMaxPooling1D()(h)
outputs = layers.Dense(2)(pooled)
model = keras.Model(inputs, outputs)
