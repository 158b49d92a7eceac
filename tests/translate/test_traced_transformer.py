"""PyTorch -> Keras through the runtime: ``nn.TransformerEncoder(Layer)`` as an emitted Keras
layer, a causal mask built from constants in forward, a registered buffer used in forward.
Real torch and Keras runs, verified at atol 1e-4."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlsense.translators import Translation, TranslationError, translate
from mlsense.translators.verify import VerificationWorker

from .test_traced import verify_runtime

pytestmark = pytest.mark.slow

HEAD = "import math\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"

# the shape of pytorch/examples word_language_model's TransformerModel
ENCODER = HEAD + '''
class Positions(nn.Module):
    def __init__(self, d_model, max_len=50):
        super().__init__()
        pe = torch.randn(max_len, 1, d_model)
        self.register_buffer("pe", pe)

    def forward(self, x):
        return x + self.pe[:x.size(0), :]


def encoder_stack(layer, count):
    return nn.TransformerEncoder(layer, count, norm=nn.LayerNorm(16))


class LM(nn.Module):
    def __init__(self, batch_first=False, norm_first=False, activation="relu", mask="float"):
        super().__init__()
        self.batch_first, self.mask = batch_first, mask
        self.emb = nn.Embedding(30, 16)
        self.pos = Positions(16)
        layer = nn.TransformerEncoderLayer(16, 4, 24, dropout=0.2, activation=activation,
                                           batch_first=batch_first, norm_first=norm_first)
        self.encoder = encoder_stack(layer, 2)
        self.head = nn.Linear(16, 30)

    def forward(self, src):
        n = src.size(1) if self.batch_first else len(src)
        if self.mask == "float":
            mask = torch.log(torch.tril(torch.ones(n, n)))
        else:
            mask = torch.triu(torch.ones(n, n), diagonal=1).bool()
        x = self.emb(src) * math.sqrt(16)
        x = x if self.batch_first else self.pos(x)
        out = self.encoder(x, mask=mask)
        return F.log_softmax(self.head(out), dim=-1)
'''

ONE_LAYER = HEAD + '''
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = self._make(nn.TransformerEncoderLayer)

    def _make(self, kind):
        return kind(8, 2, 16, batch_first=True, bias=False)

    def forward(self, x):
        return self.layer(x)
'''

BIG_CONSTANT = HEAD + '''
class Bias(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(600, 600)

    def forward(self, x):
        return self.fc(x) + torch.arange(600.0)
'''


@pytest.fixture(scope="module")
def worker() -> Iterator[VerificationWorker]:
    with VerificationWorker(idle_timeout=0) as pool:
        yield pool


@pytest.mark.parametrize(("batch_first", "norm_first", "activation", "mask"), [
    (False, False, "relu", "float"), (True, True, "gelu", "bool"), (False, True, "gelu", "bool")])
def test_transformer_encoder_with_a_causal_mask(tmp_path, worker, batch_first, norm_first,
                                                activation, mask) -> None:
    select = f"LM({batch_first}, {norm_first}, {activation!r}, {mask!r})"
    tr, _ = verify_runtime(tmp_path, worker, ENCODER, select, (5,))
    code = tr.target_code
    assert "class TransformerEncoderLayer(layers.Layer):" in code
    options = ", dropout=0.2" + (", activation='gelu'" if activation == "gelu" else "") + \
        (", norm_first=True" if norm_first else "")
    assert f"self.encoder_layers_1 = TransformerEncoderLayer(16, 4, 24{options})" in code
    assert "self.encoder_norm = layers.LayerNormalization(epsilon=1e-05)" in code
    # sequence-first, the mask's size follows the input's first axis (the trace at another
    # batch showed it): the Keras model runs on other lengths too
    n = 5 if batch_first else "src_size0"
    if mask == "float":
        assert f"causal_mask = keras.ops.log(keras.ops.tril(keras.ops.ones(({n}, {n}))))" in code
        assert "attention_mask=keras.ops.equal(causal_mask, 0.0)" in code
    else:
        assert f"keras.ops.triu(keras.ops.ones(({n}, {n})), 1) > 0" in code
        assert "attention_mask=keras.ops.logical_not(" in code
    assert ("keras.ops.transpose" in code) is not batch_first
    transfers = {(w.kind, w.torch_path) for w in tr.weight_map}
    assert ("mha", "encoder.layers.1.self_attn") in transfers
    assert ("layernorm", "encoder.norm") in transfers
    if not batch_first:  # the registered buffer is a Keras variable with its value copied
        assert "self.pos_pe = self.add_weight(shape=(50, 1, 16)" in code
        assert ("buffer", "pos") in transfers and "self.pos_pe[:src_size0, :]" in code
        assert runs_on_other_sizes(tr, (4, 3)) == (4, 3, 30)


def runs_on_other_sizes(tr: Translation, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape of the emitted Keras model (random weights) on token ids of ``shape``."""
    import keras
    import numpy as np

    namespace: dict[str, object] = {}
    exec(compile(tr.target_code, "emitted.py", "exec"), namespace)  # noqa: S102 - the point
    model = eval(tr.target_model, namespace)  # noqa: S307
    ids = np.random.default_rng(0).integers(0, tr.inputs[0].vocab or 2, size=shape)
    return tuple(keras.ops.shape(model(ids)))


def test_single_encoder_layer_without_bias(tmp_path, worker) -> None:
    tr, _ = verify_runtime(tmp_path, worker, ONE_LAYER, "Block", (4, 8))
    assert "self.layer = TransformerEncoderLayer(8, 2, 16, bias=False)" in tr.target_code
    assert "keras.ops.transpose" not in tr.target_code


def test_a_constant_built_in_forward_is_a_table_and_a_huge_one_a_located_error(
        tmp_path, worker) -> None:
    # 600 values from sizes alone (simple_vit's sin-cos positions): a module-level table
    tr, _ = verify_runtime(tmp_path, worker, BIG_CONSTANT.replace(
        "self.fc(x)", "self.fc(x.view(-1, 600))"), "Bias", (600,))
    assert "TABLE_1 = np.array([" in tr.target_code
    assert "keras.ops.convert_to_tensor(TABLE_1)" in tr.target_code
    # more than the capture writes out: say where, and what to do
    with pytest.raises(TranslationError) as info:
        translate(BIG_CONSTANT.replace("600", "5000").replace(
            "self.fc(x)", "self.fc(x.view(-1, 5000))"), "keras", class_name="Bias",
            input_shape=(5000,), filename="bias.py", run_code=True, worker=worker)
    item = info.value.unsupported[0]
    assert "register it as a buffer" in item.reason and item.line > 1


PLAIN = HEAD + '''
class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(6, 5, 2)
        self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(5, 1, 16, dropout=0.0), 2)
        self.out = nn.Linear(5, 3)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.out(self.enc(y))
'''


def test_layers_written_out_plainly_reach_the_runtime_path(tmp_path, worker) -> None:
    """A stacked sequence-first LSTM and a TransformerEncoder written in __init__ stop the static
    table; the runtime path maps them, so the static error must hand over to it."""
    with pytest.raises(TranslationError):
        translate(PLAIN, "keras", class_name="Tagger", input_shape=(2, 6))
    tr, _ = verify_runtime(tmp_path, worker, PLAIN, "Tagger", (2, 6))
    assert any(n.startswith("traced:") for n in tr.notes)
    assert "TransformerEncoderLayer(" in tr.target_code


# pytorch/examples' word_language_model caches its causal mask on the module in forward: the
# probe that decides whether the input is token ids must not leave its own mask behind.
CACHED_MASK = HEAD + '''
class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.src_mask = None
        self.emb = nn.Embedding(50, 8)
        self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 1)
        self.out = nn.Linear(8, 50)

    def forward(self, src):
        if self.src_mask is None or self.src_mask.size(0) != len(src):
            self.src_mask = torch.log(torch.tril(torch.ones(len(src), len(src))))
        return self.out(self.enc(self.emb(src), mask=self.src_mask))
'''


def test_a_mask_cached_by_forward_follows_the_input(tmp_path, worker) -> None:
    tr, _ = verify_runtime(tmp_path, worker, CACHED_MASK, "LM", (6,))
    assert tr.inputs[0].dtype == "int64"
    assert "keras.ops.ones((src_size0, src_size0))" in tr.target_code
