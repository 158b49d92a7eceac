"""The training check's torch side without importing ``torch._dynamo`` (issue 9, cold latency).

torch.optim imports ``torch._dynamo`` (seconds, sympy included) on an optimizer's first
``add_param_group`` / ``step`` only to call two functions that do nothing outside compilation;
the check runs them as no-ops. Each case runs in a fresh interpreter (the test process may have
loaded ``torch._dynamo`` already): real optimizers and schedulers step, nothing of dynamo is
loaded meanwhile, and afterwards the real module and torch's own wrappers work as before.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent('''
    import sys
    import torch
    from mlsense.translators.verify.training import _without_dynamo_import

    def steps(optimizer, scheduler=None):
        model = optimizer.param_groups[0]["params"][0]
        for _ in range(3):
            optimizer.zero_grad()
            (model ** 2).sum().backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
        return model.detach().clone()

    def run():
        torch.manual_seed(0)
        w = torch.nn.Parameter(torch.randn(4, 3))
        adam = torch.optim.Adam([w], lr=0.1)
        sched = torch.optim.lr_scheduler.StepLR(adam, step_size=1, gamma=0.5)
        return steps(adam, sched)

    with _without_dynamo_import():
        fast = run()
        loaded = [m for m in sys.modules if m.startswith("torch._dynamo.")]
        assert not loaded, f"imported during the check: {loaded[:3]}"
    assert "torch._dynamo" not in sys.modules, "the stand-in was left behind"
    import torch._dynamo
    assert torch._dynamo.disable.__module__.startswith("torch._dynamo"), "not the real module"
    add = torch.optim.Optimizer.add_param_group.__wrapped__
    assert "__dynamo_disable" not in add.__dict__ or add.__dict__["__dynamo_disable"] is not add
    real = run()  # torch's own wrappers, with the real module now
    assert torch.equal(fast, real), (fast, real)
    print("ok")
''')


def test_optimizers_step_the_same_without_importing_dynamo() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_anything_else_asked_of_dynamo_loads_the_real_module() -> None:
    script = textwrap.dedent('''
        import sys
        import torch
        from mlsense.translators.verify.training import _without_dynamo_import

        with _without_dynamo_import():
            import torch._dynamo
            assert callable(torch._dynamo.reset)  # not a no-op of the stand-in: the real one
            assert type(sys.modules["torch._dynamo"]).__name__ == "module"
        assert sys.modules["torch._dynamo"].reset is torch._dynamo.reset
        print("ok")
    ''')
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
