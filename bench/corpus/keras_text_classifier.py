"""Sentiment classification with Keras: a bag-of-embeddings baseline, a BiLSTM and a small
Transformer encoder, trained on a CSV of (text, label) rows."""

from __future__ import annotations

import argparse
import os

import numpy as np
import pandas as pd
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.callbacks import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau

MAX_TOKENS = 20000
SEQUENCE_LENGTH = 200
EMBED_DIM = 128


def load_frame(path: str) -> tuple[np.ndarray, np.ndarray]:
    df = pd.read_csv(path)
    df = df.dropna(subset=["text", "label"])
    return df["text"].astype(str).to_numpy(), df["label"].astype("int32").to_numpy()


def make_vectorizer(texts: np.ndarray) -> layers.TextVectorization:
    vectorizer = layers.TextVectorization(max_tokens=MAX_TOKENS, output_mode="int",
                                          output_sequence_length=SEQUENCE_LENGTH)
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(256))
    return vectorizer


def bag_of_embeddings(num_classes: int) -> keras.Model:
    model = keras.Sequential([
        layers.Embedding(MAX_TOKENS, EMBED_DIM, input_shape=(SEQUENCE_LENGTH,)),
        layers.GlobalAveragePooling1D(),
        layers.Dropout(0.3),
        layers.Dense(64, activation="relu"),
        layers.Dense(num_classes, activation="softmax"),
    ])
    return model


def bilstm(num_classes: int) -> keras.Model:
    inputs = keras.Input(shape=(SEQUENCE_LENGTH,), dtype="int64")
    x = layers.Embedding(MAX_TOKENS, EMBED_DIM, mask_zero=True)(inputs)
    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(32))(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="bilstm")


class TransformerBlock(layers.Layer):
    """Self-attention + feed-forward with residual connections and layer normalization."""

    def __init__(self, embed_dim: int, num_heads: int, ff_dim: int, rate: float = 0.1,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"),
                                     layers.Dense(embed_dim)])
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.drop1 = layers.Dropout(rate)
        self.drop2 = layers.Dropout(rate)
        self.embed_dim, self.num_heads, self.ff_dim, self.rate = embed_dim, num_heads, ff_dim, rate

    def call(self, inputs, training=False):
        attn = self.drop1(self.att(inputs, inputs), training=training)
        out1 = self.norm1(inputs + attn)
        ffn = self.drop2(self.ffn(out1), training=training)
        return self.norm2(out1 + ffn)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(embed_dim=self.embed_dim, num_heads=self.num_heads, ff_dim=self.ff_dim,
                      rate=self.rate)
        return config


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen: int, vocab_size: int, embed_dim: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        positions = tf.range(start=0, limit=tf.shape(x)[-1], delta=1)
        return self.token_emb(x) + self.pos_emb(positions)


def transformer(num_classes: int, num_heads: int = 4, ff_dim: int = 256) -> keras.Model:
    inputs = layers.Input(shape=(SEQUENCE_LENGTH,))
    x = TokenAndPositionEmbedding(SEQUENCE_LENGTH, MAX_TOKENS, EMBED_DIM)(inputs)
    x = TransformerBlock(EMBED_DIM, num_heads, ff_dim)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def make_dataset(texts, labels, vectorizer, batch_size: int, shuffle: bool) -> tf.data.Dataset:
    ds = tf.data.Dataset.from_tensor_slices((texts, labels))
    if shuffle:
        ds = ds.shuffle(10_000, seed=0)
    ds = ds.batch(batch_size).map(lambda t, y: (vectorizer(t), y),
                                  num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--val", required=True)
    parser.add_argument("--arch", choices=("bag", "bilstm", "transformer"), default="bilstm")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", default="checkpoints")
    args = parser.parse_args()

    x_train, y_train = load_frame(args.train)
    x_val, y_val = load_frame(args.val)
    num_classes = int(max(y_train.max(), y_val.max())) + 1
    vectorizer = make_vectorizer(x_train)
    train_ds = make_dataset(x_train, y_train, vectorizer, args.batch_size, shuffle=True)
    val_ds = make_dataset(x_val, y_val, vectorizer, args.batch_size, shuffle=False)

    builders = {"bag": bag_of_embeddings, "bilstm": bilstm, "transformer": transformer}
    model = builders[args.arch](num_classes)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    os.makedirs(args.out, exist_ok=True)
    callbacks = [
        EarlyStopping(monitor="val_accuracy", patience=3, restore_best_weights=True),
        ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
        ModelCheckpoint(os.path.join(args.out, f"{args.arch}.h5"), save_best_only=True),
    ]
    history = model.fit(train_ds, validation_data=val_ds, epochs=args.epochs,
                        callbacks=callbacks)
    loss, acc = model.evaluate(val_ds)
    print(f"{args.arch}: val loss {loss:.4f} acc {acc:.4f} "
          f"(best epoch {int(np.argmax(history.history['val_accuracy'])) + 1})")

    # Export an end-to-end model that takes raw strings.
    raw = keras.Input(shape=(1,), dtype="string")
    end_to_end = keras.Model(raw, model(vectorizer(raw)))
    end_to_end.save(os.path.join(args.out, f"{args.arch}_end_to_end.keras"))


if __name__ == "__main__":
    main()
