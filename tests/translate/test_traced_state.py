"""PyTorch -> Keras through the runtime: RNN state passed in and returned, random draws in
forward, models whose parameters are float64. Real torch and Keras runs, verified at 1e-4."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlsense.translators import TranslationError, translate
from mlsense.translators.verify import VerificationWorker

from .test_traced import verify_runtime

pytestmark = pytest.mark.slow

HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"

# the shape of pytorch/examples word_language_model's RNNModel: forward(input, hidden)
WORD_LM = HEAD + '''
class LanguageModel(nn.Module):
    def __init__(self, rnn_type, layers, batch_first=False, bidirectional=False):
        super().__init__()
        self.rnn_type, self.layers = rnn_type, layers
        self.dirs = 2 if bidirectional else 1
        self.encoder = nn.Embedding(50, 6)
        self.rnn = getattr(nn, rnn_type)(6, 5, layers, dropout=0.5, batch_first=batch_first,
                                         bidirectional=bidirectional)
        self.decoder = nn.Linear(5 * self.dirs, 50)

    def forward(self, input, hidden):
        output, hidden = self.rnn(self.encoder(input), hidden)
        return F.log_softmax(self.decoder(output).view(-1, 50), dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        shape = (self.layers * self.dirs, bsz, 5)
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(*shape), weight.new_zeros(*shape))
        return weight.new_zeros(*shape)
'''

NO_INIT = HEAD + '''
class Encoder(nn.Module):
    def __init__(self, kind="GRU"):
        super().__init__()
        self.gru = getattr(nn, kind)(4, 3, 2, batch_first=True)

    def forward(self, x, h0):
        out, h = self.gru(x, h0)
        return out, h
'''

VAE = HEAD + '''
class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 8)
        self.fc21 = nn.Linear(8, 3)
        self.fc22 = nn.Linear(8, 3)
        self.fc3 = nn.Linear(3, 12)

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc21(h), self.fc22(h)

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 12))
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) + 0.1 * torch.rand_like(mu)
        return torch.sigmoid(self.fc3(z)), mu, logvar
'''

# the shape of pytorch/examples time_sequence_prediction: LSTMCells stepped over x.split(1, 1),
# state zeros made in float64 in forward; the script runs the model as .double()
CELLS = HEAD + '''
class Sequence(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, 7)
        self.lstm2 = nn.GRUCell(7, 7)
        self.linear = nn.Linear(7, 1)

    def forward(self, input):
        outputs = []
        h_t = torch.zeros(input.size(0), 7, dtype=torch.double)
        c_t = torch.zeros(input.size(0), 7, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), 7, dtype=torch.double)
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2 = self.lstm2(h_t, h_t2)
            outputs += [self.linear(h_t2)]
        return torch.cat(outputs, dim=1)
'''


@pytest.fixture(scope="module")
def worker() -> Iterator[VerificationWorker]:
    with VerificationWorker(idle_timeout=0) as pool:
        yield pool


@pytest.mark.parametrize(("rnn", "layers", "batch_first", "bidirectional"), [
    ("LSTM", 2, False, False), ("GRU", 2, False, False), ("LSTM", 1, True, True),
    ("GRU", 3, True, True)])
def test_state_passed_in_and_returned(tmp_path, worker, rnn, layers, batch_first,
                                      bidirectional) -> None:
    select = f"LanguageModel('{rnn}', {layers}, {batch_first}, {bidirectional})"
    tr, report = verify_runtime(tmp_path, worker, WORD_LM, select, (7,))
    # one torch module as several Keras layers has no one output to compare layer by layer
    assert not any(e.diverges for e in report.per_layer)
    assert all(e.max_abs_error is None for e in report.per_layer if e.torch_path == "rnn") \
        is (layers > 1)
    code = tr.target_code
    assert "def call(self, input_1, hidden):" in code
    dirs = 2 if bidirectional else 1
    # the example state comes from init_hidden: (layers * directions, batch, hidden), where
    # a sequence-first model's batch is the input's second axis
    batch = 2 if batch_first else 7
    assert [s.shape for s in tr.inputs[1:]] == [(layers * dirs, batch, 5)] * (
        2 if rnn == "LSTM" else 1)
    names = [f"rnn_l{k}" for k in range(layers)] if layers > 1 else ["rnn"]
    for k, name in enumerate(names):
        state = "hidden[0][{i}], hidden[1][{i}]" if rnn == "LSTM" else "hidden[{i}]"
        picks = ", ".join(state.format(i=k * dirs + d) for d in range(dirs))
        assert f"initial_state=[{picks}]" in code
        assert f"self.{name} = " in code
    assert ("keras.ops.transpose" in code) is not batch_first
    assert code.rstrip().endswith("(rnn_h, rnn_c))" if rnn == "LSTM" else "rnn_h)")
    assert {w.params["layer"] for w in tr.weight_map if w.kind == rnn.lower()} == \
        set(range(layers))


def test_state_without_init_hidden_is_zeros_of_the_layer_state(tmp_path, worker) -> None:
    tr, _ = verify_runtime(tmp_path, worker, NO_INIT, "Encoder", (6, 4))
    assert [s.shape for s in tr.inputs] == [(6, 4), (2, 2, 3)]
    assert "def call(self, x, h0):" in tr.target_code


def test_random_draws_are_fixed_on_both_sides_for_the_comparison(tmp_path, worker) -> None:
    tr, report = verify_runtime(tmp_path, worker, VAE, "VAE", (12,))  # traced: a helper method
    notes = [report.message, *report.notes]
    code = tr.target_code
    assert "self.seed_generator = keras.random.SeedGenerator()" in code
    assert "keras.random.normal(keras.ops.shape(fc21), seed=self.seed_generator)" in code
    assert "keras.random.uniform(keras.ops.shape(fc21), seed=self.seed_generator)" in code
    assert any("fixed to the same seeded arrays on both sides" in n for n in notes)
    assert len(tr.outputs) == 3
    inline = VAE.replace("self.encode(x.view(-1, 12))", "self.fc21(F.relu(self.fc1(x))), "
                         "self.fc22(F.relu(self.fc1(x)))")
    tr, report = verify_runtime(tmp_path, worker, inline, "VAE", (12,))  # read statically
    notes = [report.message, *report.notes]
    assert "keras.random.normal(keras.ops.shape(mu))" in tr.target_code
    assert not any(n.startswith("traced:") for n in tr.notes)
    assert any("fixed to the same seeded arrays on both sides" in n for n in notes)


def test_cells_stepped_in_float64(tmp_path, worker) -> None:
    tr, _ = verify_runtime(tmp_path, worker, CELLS, "Sequence().double()", (5,))
    code = tr.target_code
    assert tr.inputs[0].dtype == "float64"
    assert "self.lstm1 = layers.LSTMCell(7, dtype='float64')" in code
    assert "self.linear = layers.Dense(1, dtype='float64')" in code
    assert "split = keras.ops.split(input_1, 5, axis=1)" in code
    # the state's size follows the batch (the trace at another batch showed it)
    assert "keras.ops.zeros((input_1_size0, 7), dtype='float64')" in code
    assert code.count("= self.lstm2(") == 5


def test_float64_forward_on_a_float32_model_says_how_to_select_it(worker) -> None:
    with pytest.raises(TranslationError) as info:
        translate(CELLS, "keras", class_name="Sequence", input_shape=(5,), filename="seq.py",
                  run_code=True, worker=worker)
    item = info.value.unsupported[0]
    assert 'select the model as the script runs it, in float64: --class "Sequence().double()"' \
        in item.reason
    assert item.line == CELLS.splitlines().index("            h_t, c_t = self.lstm1(input_t, "
                                                  "(h_t, c_t))") + 1
