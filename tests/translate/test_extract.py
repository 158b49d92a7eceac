"""Definitions-only extraction: what is kept, what is dropped, and that the result runs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlsense.translators.verify.extract import ExtractError, extract_definitions

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _kept_lines(source: str) -> list[str]:
    code = extract_definitions(textwrap.dedent(source)).code
    return [line.strip() for line in code.splitlines() if line.strip()]


def test_torch_seed_keeps_model_and_drops_loop() -> None:
    source = (EXAMPLES / "torch_regression.py").read_text()
    result = extract_definitions(source)
    code = result.code
    assert "class Net" in code and "model = Net()" in code
    assert "criterion = nn.MSELoss()" in code
    assert "optimizer" not in code  # building one imports torch._dynamo: seconds
    assert "for epoch" not in code and "backward" not in code
    assert any(reason == "loop" for _, reason in result.dropped)
    assert {"Net", "model", "torch", "nn", "optim"} <= result.defined


def test_keras_seed_drops_compile_and_fit() -> None:
    source = (EXAMPLES / "keras_regression.py").read_text()
    result = extract_definitions(source)
    assert "model = keras.Sequential" in result.code
    assert "compile" not in result.code and "fit" not in result.code
    dropped_lines = {line for line, _ in result.dropped}
    assert {11, 12} <= dropped_lines  # model.compile / model.fit


def test_training_assignments_and_dependents_are_dropped() -> None:
    kept = _kept_lines("""
        import torch
        model = torch.nn.Linear(2, 1)
        history = model.fit(x, y)
        train_ds, test_ds = train_test_split(data)
        outputs = model(x)
        loss = outputs.sum()
        df = pd.read_csv("data.csv")
        model.trainable = False
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.StepLR(opt, 3)
        kopt = keras.optimizers.Adam(1e-3)
        size = 3
        size += 1
        """)
    assert kept == ["import torch", "model = torch.nn.Linear(2, 1)", "model.trainable = False",
                    "size = 3", "size += 1"]


def test_main_guard_with_blocks_and_expressions_are_dropped() -> None:
    result = extract_definitions(textwrap.dedent("""
        \"\"\"Docstring.\"\"\"
        import torch
        print("hello")
        with torch.no_grad():
            y = 1
        while True:
            pass
        if __name__ == "__main__":
            main()
        """))
    assert result.code.strip() == "import torch"
    reasons = [reason for _, reason in result.dropped]
    assert reasons == ["expression statement", "expression statement", "with block", "loop",
                       "__main__ block"]


def test_model_building_calls_are_kept() -> None:
    kept = _kept_lines("""
        import keras
        from torch import nn
        model = keras.Sequential()
        model.add(keras.layers.Dense(4))
        model.build((None, 3))
        model.summary()
        model.add(undefined_layer)
        lin = nn.Linear(2, 2)
        nn.init.zeros_(lin.bias)
        plot(model)
        """)
    assert kept == ["import keras", "from torch import nn", "model = keras.Sequential()",
                    "model.add(keras.layers.Dense(4))", "model.build((None, 3))",
                    "lin = nn.Linear(2, 2)", "nn.init.zeros_(lin.bias)"]


def test_if_and_try_blocks_are_filtered_not_dropped() -> None:
    kept = _kept_lines("""
        try:
            import torch
        except ImportError:
            print("no torch")
        if torch.cuda.is_available():
            device = "cuda"
            model.fit(x)
        else:
            device = "cpu"
        """)
    assert kept == ["try:", "import torch", "except ImportError:", "pass",
                    "if torch.cuda.is_available():", "device = 'cuda'", "else:", "device = 'cpu'"]


def test_comprehension_variables_are_not_undefined() -> None:
    kept = _kept_lines("""
        from torch import nn
        blocks = [nn.Linear(4, 4) for _ in range(3)]
        sizes = {k: v for k, v in [(1, 2)]}
        act = lambda t: t * 2
        """)
    assert len(kept) == 4


def test_line_numbers_are_kept_and_code_runs(tmp_path: Path) -> None:
    source = "import math\n\nfor i in range(3):\n    pass\n\ndef f():\n    return math.pi\n"
    result = extract_definitions(source)
    func = result.module.body[1]
    assert func.lineno == 6
    namespace: dict = {}
    exec(compile(result.module, "f.py", "exec"), namespace)
    assert namespace["f"]() == pytest.approx(3.14159, abs=1e-4)


def test_syntax_error_is_located() -> None:
    with pytest.raises(ExtractError) as info:
        extract_definitions("import torch\nclass Net(:\n    pass\n")
    assert info.value.line == 2 and "line 2" in str(info.value)


def test_extraction_imports_no_framework() -> None:
    extract_definitions((EXAMPLES / "torch_regression.py").read_text())
    code = "import sys; import mlsense.translators.verify.extract as e; " \
           "e.extract_definitions(open(sys.argv[1]).read()); " \
           "assert not {'torch','tensorflow','keras'} & set(sys.modules)"


    subprocess.run([sys.executable, "-c", code, str(EXAMPLES / "keras_regression.py")],
                   check=True)


def test_a_for_loop_that_only_builds_is_kept_and_a_training_loop_is_not() -> None:
    result = extract_definitions(textwrap.dedent("""
        import keras
        from keras import layers

        model = keras.Sequential([keras.Input((8,))])
        for units in [16, 16, 4]:
            model.add(layers.Dense(units))
        inputs = keras.Input((8,))
        x = inputs
        for size in [32, 64]:
            residual = x
            x = layers.Dense(size)(x)
        for epoch in range(3):
            model.fit(x_train, y_train)
            last = epoch
        y = last
    """))
    code = result.code
    assert "for units in [16, 16, 4]:" in code and "model.add(layers.Dense(units))" in code
    assert "for size in [32, 64]:" in code and "x = layers.Dense(size)(x)" in code
    assert "for epoch" not in code and "y = last" not in code  # nothing binds `last` now
    assert (13, "loop") in result.dropped
