"""A small JAX / Flax MLP trained on synthetic regression data with optax."""

from __future__ import annotations

from functools import partial

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax.training import train_state


class MLP(nn.Module):
    features: tuple[int, ...] = (128, 128, 1)
    dropout: float = 0.1

    @nn.compact
    def __call__(self, x, train: bool = False):
        for width in self.features[:-1]:
            x = nn.Dense(width)(x)
            x = nn.gelu(x)
            x = nn.Dropout(self.dropout, deterministic=not train)(x)
        return nn.Dense(self.features[-1])(x)


def make_data(n: int = 4096, dim: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype(np.float32)
    w = rng.normal(size=(dim, 1)).astype(np.float32)
    y = np.sin(x @ w) + 0.1 * rng.normal(size=(n, 1)).astype(np.float32)
    return x, y


def create_state(rng, model: MLP, dim: int, lr: float) -> train_state.TrainState:
    params = model.init(rng, jnp.ones((1, dim)))["params"]
    schedule = optax.warmup_cosine_decay_schedule(0.0, lr, 100, 2000)
    tx = optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(schedule, weight_decay=1e-4))
    return train_state.TrainState.create(apply_fn=model.apply, params=params, tx=tx)


@partial(jax.jit, donate_argnums=0)
def train_step(state, batch, dropout_rng):
    x, y = batch

    def loss_fn(params):
        pred = state.apply_fn({"params": params}, x, train=True, rngs={"dropout": dropout_rng})
        return jnp.mean((pred - y) ** 2)

    loss, grads = jax.value_and_grad(loss_fn)(state.params)
    return state.apply_gradients(grads=grads), loss


@jax.jit
def eval_step(state, batch):
    x, y = batch
    pred = state.apply_fn({"params": state.params}, x)
    return jnp.mean((pred - y) ** 2)


def batches(x: np.ndarray, y: np.ndarray, size: int, rng: np.random.Generator):
    order = rng.permutation(len(x))
    for start in range(0, len(x) - size + 1, size):
        idx = order[start:start + size]
        yield jnp.asarray(x[idx]), jnp.asarray(y[idx])


def main(epochs: int = 20, batch_size: int = 128, lr: float = 3e-3) -> None:
    x, y = make_data()
    split = int(0.8 * len(x))
    rng = jax.random.PRNGKey(0)
    rng, init_rng = jax.random.split(rng)
    model = MLP()
    state = create_state(init_rng, model, x.shape[1], lr)
    np_rng = np.random.default_rng(0)
    for epoch in range(epochs):
        losses = []
        for batch in batches(x[:split], y[:split], batch_size, np_rng):
            rng, dropout_rng = jax.random.split(rng)
            state, loss = train_step(state, batch, dropout_rng)
            losses.append(float(loss))
        val = float(eval_step(state, (jnp.asarray(x[split:]), jnp.asarray(y[split:]))))
        print(f"epoch {epoch:2d} train {np.mean(losses):.4f} val {val:.4f}")


if __name__ == "__main__":
    main()
