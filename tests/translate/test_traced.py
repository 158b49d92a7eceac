"""PyTorch -> Keras through the runtime: models built by code, traced in the worker, verified.

Each model here defeats the static reading (layers made in a loop, a builder function, a
helper method, ``if self.flag:``, an environment check in forward); ``translate(run_code=True)``
builds it in a verification worker, traces it with torch.fx and emits one flat Keras class, and
the real verifier runs both models at atol 1e-4. One warm worker serves the whole module.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlsense.translators import Translation, TranslationError, translate
from mlsense.translators.verify import VerificationWorker, verify_translation
from mlsense.translators.verify.report import VerificationReport

pytestmark = pytest.mark.slow

HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"

LOOP = HEAD + '''
CFG = {"tiny": [8, "M", 16, "M"]}


class VGG(nn.Module):
    def __init__(self, name):
        super().__init__()
        self.features = self._make_layers(CFG[name])
        self.classifier = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        out = self.features(x)
        out = out.view(out.size(0), -1)
        return self.classifier(out)

    def _make_layers(self, cfg):
        layers, channels = [], 3
        for v in cfg:
            if v == "M":
                layers += [nn.MaxPool2d(2, 2)]
            else:
                layers += [nn.Conv2d(channels, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU()]
                channels = v
        return nn.Sequential(*layers)
'''

RESIDUAL = HEAD + '''
class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    def __init__(self, block, blocks, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.layer1 = self._make_layer(block, 8, 8, blocks[0], 1)
        self.layer2 = self._make_layer(block, 8, 16, blocks[1], 2)
        self.linear = nn.Linear(16, classes)

    def _make_layer(self, block, cin, cout, count, stride):
        layers = [block(cin, cout, stride)] + [block(cout, cout) for _ in range(count - 1)]
        return nn.Sequential(*layers)

    def forward(self, x):
        out = self.layer2(self.layer1(F.relu(self.conv1(x))))
        out = F.adaptive_avg_pool2d(out, 1)
        return self.linear(out.view(out.size(0), -1))


def TinyResNet():
    return ResNet(BasicBlock, [2, 1])
'''

HELPER_AND_FLAG = HEAD + '''
class AutoEncoder(nn.Module):
    def __init__(self, hidden=16, tied=False, ngpu=1):
        super().__init__()
        self.ngpu, self.tied = ngpu, tied
        self.fc1 = nn.Linear(32, hidden)
        self.fc2 = nn.Linear(hidden, 32)
        self.extra = nn.Linear(32, 32)

    def encode(self, x):
        return torch.tanh(self.fc1(x))

    def decode(self, z):
        return torch.sigmoid(self.fc2(z))

    def forward(self, x):
        if x.is_cuda and self.ngpu > 1:
            return nn.parallel.data_parallel(self.fc1, x, range(self.ngpu))
        out = self.decode(self.encode(x.view(-1, 32)))
        if not self.tied:
            out = self.extra(out)
        return out


model = AutoEncoder(hidden=8)
'''

RNN_STATE = HEAD + '''
class Tagger(nn.Module):
    def __init__(self, rnn_type="LSTM"):
        super().__init__()
        self.rnn = getattr(nn, rnn_type)(6, 8, batch_first=True)
        self.fc = nn.Linear(8, 3)
        self.has_cell = rnn_type == "LSTM"

    def forward(self, x, hidden=None):
        out, state = self.rnn(x, hidden)
        h = state[0] if self.has_cell else state
        return self.fc(out[:, -1, :]) + self.fc(h[-1])
'''

TENSOR_BRANCH = HEAD + '''
class Gate(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        out = self.fc(x)
        if out.sum() > 0:
            out = out * 2
        return out
'''


@pytest.fixture(scope="module")
def worker() -> Iterator[VerificationWorker]:
    with VerificationWorker(idle_timeout=0) as pool:
        yield pool


def verify_runtime(tmp_path, worker: VerificationWorker, source: str, select: str | None,
                   shape: tuple[int, ...] | None) -> tuple[Translation, VerificationReport]:
    """Translate with run_code (static first, then traced) and verify at atol 1e-4."""
    path = tmp_path / "model.py"
    path.write_text(source, encoding="utf-8")
    tr = translate(source, "keras", class_name=select, input_shape=shape, filename=str(path),
                   run_code=True, worker=worker)
    report = verify_translation(str(path), tr, source_text=source, worker=worker, onnx=False,
                                training=False)
    assert report.verified, report.message
    assert report.max_abs_error is not None and report.max_abs_error <= 1e-4
    compile(tr.target_code, "emitted.py", "exec")
    return tr, report


def _verified(tmp_path, worker: VerificationWorker, source: str, select: str | None,
              shape: tuple[int, ...] | None) -> Translation:
    tr, _ = verify_runtime(tmp_path, worker, source, select, shape)
    assert any(n.startswith("traced:") for n in tr.notes)
    return tr


def test_layers_made_in_a_loop(tmp_path, worker) -> None:
    tr = _verified(tmp_path, worker, LOOP, "VGG('tiny')", (3, 16, 16))
    code = tr.target_code
    assert "class VGG(keras.Model):" in code and "self.features_0 = layers.Conv2D(8, 3" in code
    assert "features_4 = self.features_4(features_3)" in code
    assert "Traced by mlsense from the built model `VGG('tiny')`" in code
    assert tr.source_model == "VGG('tiny')" and tr.target_model == "VGG()"
    assert [w.torch_path for w in tr.weight_map][:2] == ["features.0", "features.1"]


def test_builder_function_with_residual_blocks(tmp_path, worker) -> None:
    tr = _verified(tmp_path, worker, RESIDUAL, "TinyResNet", (3, 16, 16))
    code = tr.target_code
    assert tr.source_model == "TinyResNet()" and "class ResNet(keras.Model):" in code
    assert "self.layer2_0_shortcut_0 = layers.Conv2D(16, 1, strides=2" in code
    # `out += self.shortcut(x)`: the identity shortcut adds the block input itself
    assert "add = layer1_0_bn2 + relu" in code
    assert {w.torch_path for w in tr.weight_map} >= {"layer1.1.conv2", "layer2.0.shortcut.1"}


def test_helper_methods_flags_and_environment_checks(tmp_path, worker) -> None:
    tr = _verified(tmp_path, worker, HELPER_AND_FLAG, "model", None)
    code = tr.target_code
    assert tr.source_model == "model" and tr.inputs[0].shape == (32,)
    assert "self.extra = layers.Dense(32)" in code and "data_parallel" not in code
    assert "keras.ops.tanh(fc1)" in code and "if " not in code
    flagged = _verified(tmp_path, worker, HELPER_AND_FLAG, "AutoEncoder(tied=True)", (32,))
    assert "self.extra" not in flagged.target_code  # `if not self.tied:` skipped it


@pytest.mark.parametrize("rnn", ["LSTM", "GRU"])
def test_rnn_factory_with_a_state_argument_and_the_final_state(tmp_path, worker, rnn) -> None:
    tr = _verified(tmp_path, worker, RNN_STATE, f"Tagger('{rnn}')", (5, 6))
    assert f"layers.{rnn}(8, return_sequences=True, return_state=True)" in tr.target_code
    assert "keras.ops.stack([rnn[1]])" in tr.target_code  # torch's h: (layers, batch, hidden)


def test_static_translation_is_kept_where_it_works(worker) -> None:
    source = HEAD + "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n" \
        "        self.fc = nn.Linear(4, 2)\n\n    def forward(self, x):\n        return self.fc(x)\n"
    assert translate(source, "keras", run_code=True, worker=worker).target_code == \
        translate(source, "keras").target_code


def test_without_run_code_the_static_error_stands() -> None:
    with pytest.raises(TranslationError, match="TinyResNet"):
        translate(RESIDUAL, "keras", class_name="TinyResNet", input_shape=(3, 16, 16))


def test_control_flow_on_tensor_values_is_a_located_error(worker) -> None:
    with pytest.raises(TranslationError) as info:
        translate(TENSOR_BRANCH, "keras", class_name="Gate", input_shape=(4,),
                  filename="gate.py", run_code=True, worker=worker)
    item = info.value.unsupported[0]
    assert item.line == TENSOR_BRANCH.splitlines().index("        if out.sum() > 0:") + 1
    assert "torch.where" in item.reason and str(info.value).startswith(f"gate.py:{item.line}:")


def test_verification_fails_an_emitted_file_that_reads_an_undefined_name(tmp_path,
                                                                          worker) -> None:
    source = HEAD + "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n" \
        "        self.fc = nn.Linear(4, 2)\n\n    def forward(self, x):\n        return self.fc(x)\n"
    path = tmp_path / "net.py"
    path.write_text(source, encoding="utf-8")
    tr = translate(source, "keras")
    tr.target_code += "\nPoint = namedtuple('Point', 'x y')\n"  # the lost import of issue 9
    report = verify_translation(str(path), tr, source_text=source, worker=worker, onnx=False,
                                training=False)
    assert not report.verified
    assert "reads namedtuple, which the file never defines" in report.message


DROPOUT = '''import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = F.dropout(self.fc(x), 0.4, training=self.training)
        return F.dropout(x, 0.25)
'''


def test_functional_dropout_that_trains_by_default_is_kept(tmp_path, worker) -> None:
    """F.dropout(x, p) drops at inference too (training defaults to True): it becomes
    keras.random.dropout, verified with the same fixed masks on both sides; the one given
    training=self.training folds away in eval."""
    tr = _verified(tmp_path, worker, DROPOUT, "Net", (8,))
    assert tr.target_code.count("keras.random.dropout(") == 1
    assert "keras.random.dropout(fc, 0.25, seed=" in tr.target_code


SCRIPT = '''import torch
import torch.nn as nn
import torch.optim as optim


class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x


model = MLP((10, 16, 16, 1))
criterion = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.05)
X = torch.randn(64, 10)
y = torch.randn(64, 1)
for epoch in range(10):
    optimizer.zero_grad()
    loss = criterion(model(X), y)
    loss.backward()
    optimizer.step()
'''


def test_a_traced_model_keeps_the_scripts_training_code(tmp_path, worker) -> None:
    """The traced class takes no arguments, so the statement that built the model is rebound
    to it; the rest of the script is translated as the static path does, and trains alike."""
    path = tmp_path / "script.py"
    path.write_text(SCRIPT, encoding="utf-8")
    tr = translate(SCRIPT, "keras", class_name="model", input_shape=(10,), filename=str(path),
                   run_code=True, worker=worker)
    assert any(n.startswith("traced:") for n in tr.notes)
    code = tr.target_code
    assert "\nmodel = MLP()\n" in code and "model.fit(X, y, epochs=10" in code
    assert "import numpy as np" in code
    report = verify_translation(str(path), tr, source_text=SCRIPT, worker=worker, onnx=False)
    assert report.verified, report.message
    assert report.training is not None and report.training.ran and report.training.verified


# A small GPT in nanoGPT's style (karpathy/nanoGPT model.py, on the public-code bench): a
# @dataclass config, a LayerNorm with its own parameters through F.layer_norm, causal
# F.scaled_dot_product_attention on (N, heads, T, dim), `x[:, [-1], :]` and `return logits, None`.
GPT_LIKE = HEAD + '''from dataclasses import dataclass


@dataclass
class Config:
    block_size: int = 16
    vocab_size: int = 50
    n_embd: int = 16
    n_head: int = 2
    bias: bool = True


class LayerNorm(nn.Module):
    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(1 + 0.5 * torch.randn(ndim))
        self.bias = nn.Parameter(0.5 * torch.randn(ndim)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class Attention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.proj = nn.Linear(config.n_embd, config.n_embd)
        self.n_head = config.n_head

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=True)
        return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
        self.attn = Attention(config)
        self.ln_f = LayerNorm(config.n_embd, bias=False)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)

    def forward(self, idx, targets=None):
        pos = torch.arange(0, idx.size(1), dtype=torch.long, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        x = x + self.attn(self.ln_1(x))
        x = self.ln_f(x)
        if targets is not None:
            logits = self.lm_head(x)
            return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return self.lm_head(x[:, [-1], :]), None
'''


def test_a_small_gpt_with_a_dataclass_config(tmp_path, worker) -> None:
    tr = _verified(tmp_path, worker, GPT_LIKE, "GPT(Config())", (16,))
    code = tr.target_code
    assert "keras.ops.layer_normalization(" in code and "epsilon=1e-05" in code
    assert "keras.ops.dot_product_attention(" in code and "is_causal=True" in code
    assert "[:, -1:]" in code and code.count("trainable=True") == 3  # LayerNorm parameters


# lucidrains/vit-pytorch's ways of writing a ViT, in one small model: einops patterns and
# layers, a class token repeated over the batch, einsum attention with an eye mask filled in,
# a table forward builds from sizes alone, an embedding of indices the model makes (the input
# stays float), Hardswish, a negative pad (a crop) and an unbiased variance.
VIT_LIKE = HEAD + '''from einops import rearrange, repeat
from einops.layers.torch import Rearrange


def table(n, dim):
    pos = torch.arange(n).float()[:, None] / torch.arange(1, dim + 1).float()[None]
    return torch.sin(pos)


class TinyViT(nn.Module):
    def __init__(self, dim=32, patch=4, image=16, classes=5):
        super().__init__()
        self.to_patches = nn.Sequential(
            Rearrange("b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=patch, p2=patch),
            nn.Linear(patch * patch * 3, dim))
        self.cls = nn.Parameter(torch.randn(1, 1, dim))
        self.bias_table = nn.Embedding(16, 1)
        self.register_buffer("idx", torch.arange(16), persistent=False)
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.act = nn.Hardswish()
        self.head = nn.Linear(dim, classes)

    def forward(self, img):
        x = self.to_patches(img)
        x = x + table(x.shape[1], x.shape[2]) + self.bias_table(self.idx)
        cls = repeat(self.cls, "1 1 d -> b 1 d", b=x.shape[0])
        x = torch.cat((cls, self.cls.expand(x.shape[0], -1, -1) + x[:, :1], x[:, 1:]), dim=1)
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k, v = (rearrange(t, "b n (h d) -> b h n d", h=4) for t in (q, k, v))
        dots = torch.einsum("b h i d, b h j d -> b h i j", q, k) * 0.5
        dots = dots.masked_fill(torch.eye(dots.shape[-1], dtype=torch.bool), -1e4)
        out = rearrange(dots.softmax(dim=-1) @ v, "b h n d -> b n (h d)")
        out = self.act(out)
        shifted = F.pad(out, (1, -1))
        return self.head((shifted + out.var(dim=-1, keepdim=True))[:, 0])
'''


def test_vit_pytorch_idioms(tmp_path, worker) -> None:
    tr = _verified(tmp_path, worker, VIT_LIKE, "TinyViT()", (3, 16, 16))
    code = tr.target_code
    assert tr.inputs[0].dtype == "float32"  # the embedding looks up the model's own indices
    assert "keras.ops.einsum('b h i d, b h j d -> b h i j'" in code
    assert "keras.ops.repeat(" in code and "img_size0" in code  # follows the batch
    assert "keras.ops.eye(17) > 0" in code and "keras.ops.where(" in code
    assert "TABLE_1 = np.array(" in code and 'layers.Activation("hard_silu")' in code
    assert "keras.ops.var(" in code and "keras.ops.matmul(" in code
    assert "[:, :, :-1]" in code  # F.pad(out, (1, -1)): one zero in front, the last one cropped
