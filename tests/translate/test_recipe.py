"""Reading a script's training recipe (loss, optimizer) from its source: pure ast, no framework."""

from __future__ import annotations

import pytest

from mlsense.translators.verify.recipe import RecipeError, find_recipe, free_names

TORCH = """
import torch
from torch import nn
model = nn.Linear(3, 1)
criterion = nn.MSELoss()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for epoch in range(3):
    opt.zero_grad()
    out = model(x)
    loss = criterion(out.squeeze(1), y)
    loss.backward()
    opt.step()
"""


def test_torch_loop_gives_optimizer_and_loss_of_the_prediction() -> None:
    recipe = find_recipe(TORCH, "pytorch", "model")
    assert recipe is not None and recipe.model_var == "model"
    assert recipe.optimizer == "torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)"
    assert recipe.loss == "criterion(__pred.squeeze(1), y)" and recipe.line == 10
    assert free_names(recipe.loss) == ["criterion", "y"]
    inline = find_recipe(TORCH.replace("    out = model(x)\n", "").replace("out.squeeze(1)",
                                                                         "model(x)"),
                         "pytorch", "model")
    assert inline is not None and inline.loss == "criterion(__pred, y)"


def test_torch_loss_without_the_model_output_is_located() -> None:
    with pytest.raises(RecipeError, match="line 7: the loss does not use the model's output"):
        find_recipe(TORCH.replace("criterion(out.squeeze(1), y)", "criterion(x, y)"),
                    "pytorch", "model")
    assert find_recipe(TORCH.split("for epoch")[0], "pytorch", "model") is None


def test_keras_compile_inlines_named_optimizer_and_needs_fit() -> None:
    source = """
import keras
opt = keras.optimizers.Adam(1e-3)
model = keras.Sequential([keras.layers.Dense(1)])
model.compile(opt, "mse")
model.fit(X, y)
"""
    recipe = find_recipe(source, "keras", "model")
    assert recipe is not None and (recipe.optimizer, recipe.loss) == (
        "keras.optimizers.Adam(0.001)", "'mse'")
    assert find_recipe(source.replace("model.fit(X, y)\n", ""), "keras", "model") is None
    with pytest.raises(RecipeError, match="line 5: compile"):
        find_recipe(source.replace('model.compile(opt, "mse")', "model.compile(opt)"), "keras",
                    "model")
