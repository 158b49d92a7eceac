"""A keras.Model subclass: layers in __init__, forward pass in call()."""

import keras
from keras import layers


class Classifier(keras.Model):
    """Two hidden layers with a residual connection."""

    def __init__(self, hidden=32, num_classes=4, **kwargs):
        super().__init__(**kwargs)
        self.inp = layers.Dense(hidden, activation="relu")
        self.hidden = layers.Dense(hidden, activation="relu")
        self.norm = layers.LayerNormalization()
        self.dropout = layers.Dropout(0.1)
        self.out = layers.Dense(num_classes)

    def call(self, inputs, training=False):
        x = self.inp(inputs)
        x = self.norm(x + self.hidden(x))
        x = self.dropout(x, training=training)
        return self.out(x)


model = Classifier()
model.build((None, 16))
