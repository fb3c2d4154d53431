"""The torch estimators: size-aware networks, keyword-only parameters, decay groups, no leaked
process-wide state, bf16 training that converges, device-side augmentation."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from featcmp.errors import ConfigError  # noqa: E402
from featcmp.models.augment import random_flip, random_translate  # noqa: E402
from featcmp.models.nets import CNNClassifier, MLPClassifier  # noqa: E402
from featcmp.models.param_groups import param_groups  # noqa: E402


def bars(n: int = 240, side: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three classes told apart by where a bright row lies."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.random((n, side, side)).astype(np.float32) * 0.5
    X[np.arange(n), (1 + 2 * y) * side // 7, :] += 0.5
    return X, y


def n_params(net, shape) -> int:
    module = net._build_checked(shape, 10, torch.device("meta"))
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("channels", [1, 3])
def test_cnn_parameter_count_does_not_grow_with_the_image(channels):
    counts = {side: n_params(CNNClassifier(), (channels, side, side)) for side in (32, 64, 128)}
    assert len(set(counts.values())) == 1, counts


def test_cnn_uses_as_many_blocks_as_the_size_needs_and_records_them():
    X, y = bars(60, side=8)
    small = CNNClassifier(epochs=1, device="cpu").fit(X, y)
    assert small.n_blocks_ == 2 and small.input_size_ == (8, 8) and small.downsample_ == 1
    X, y = bars(60, side=32)
    big = CNNClassifier(epochs=1, device="cpu").fit(np.kron(X, np.ones((1, 4, 4))), y)
    assert big.n_blocks_ == 3 and big.input_size_ == (64, 64) and big.downsample_ == 2


def test_flatten_head_grows_with_the_image_gap_does_not():
    flat = CNNClassifier(head="flatten")
    assert n_params(flat, (1, 64, 64)) > n_params(flat, (1, 32, 32))


def test_mlp_sees_a_bounded_input():
    mlp = MLPClassifier(hidden=(8,))
    assert n_params(mlp, (3, 128, 128)) == n_params(mlp, (3, 32, 32)) == 3 * 1024 * 8 + 8 + 90
    X, y = bars(30, side=12)
    fitted = MLPClassifier(hidden=(8,), epochs=1, device="cpu").fit(
        np.kron(X, np.ones((1, 8, 8))), y
    )
    assert fitted.input_size_ == (32, 32) and fitted.downsample_ == 3


def test_parameters_are_keyword_only():
    with pytest.raises(TypeError):
        CNNClassifier((8,))  # type: ignore[misc]
    with pytest.raises(TypeError):
        MLPClassifier((8,))  # type: ignore[misc]
    assert CNNClassifier(epochs=3).get_params()["epochs"] == 3


def test_no_weight_decay_on_biases_and_norm_layers():
    module = CNNClassifier(channels=(4,), hidden=8).build_module((1, 8, 8), 3)
    groups = param_groups(module, weight_decay=0.1, norm_lr_scale=4.0)
    decayed = {id(p) for g in groups if g["weight_decay"] > 0 for p in g["params"]}
    for mod in module.modules():
        for name, p in mod.named_parameters(recurse=False):
            expect = name == "weight" and isinstance(mod, torch.nn.Conv2d | torch.nn.Linear)
            assert (id(p) in decayed) == expect, (type(mod).__name__, name)
    norm = [g for g in groups if g["lr_scale"] == 4.0]
    assert len(norm) == 1 and all(p.ndim == 1 for p in norm[0]["params"])


def test_fit_leaves_threads_and_the_global_rng_as_they_were():
    X, y = bars(64)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(123)
        expected = torch.rand(3)
        torch.manual_seed(123)
        CNNClassifier(channels=(4,), hidden=8, epochs=1, device="cpu", seed=5).fit(X, y)
        assert torch.get_num_threads() == 1
        assert torch.equal(torch.rand(3), expected)
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("cls", [CNNClassifier, MLPClassifier])
def test_bf16_autocast_training_converges_on_the_cpu(cls):
    X, y = bars(240)
    model = cls(epochs=12, precision="bf16", device="cpu", seed=0).fit(X[:180], y[:180])
    assert model.loss_curve_[-1] < 0.6 * model.loss_curve_[0]
    assert model.score(X[180:], y[180:]) >= 0.9
    assert model.predict_proba(X[:5]).dtype == np.float32


def test_translate_moves_each_image_by_its_own_offset():
    x = torch.arange(2 * 1 * 5 * 5, dtype=torch.float32).view(2, 1, 5, 5)
    gen = torch.Generator().manual_seed(0)
    out = random_translate(x, 1, gen)
    gen = torch.Generator().manual_seed(0)
    dy = torch.randint(0, 3, (2, 1), generator=gen).flatten() - 1
    dx = torch.randint(0, 3, (2, 1), generator=gen).flatten() - 1
    for i in range(2):
        rows = (torch.arange(5) + dy[i]).clamp(0, 4)  # edge values fill the border
        cols = (torch.arange(5) + dx[i]).clamp(0, 4)
        assert torch.equal(out[i, 0], x[i, 0][rows][:, cols])


def test_flip_mirrors_some_images_and_keeps_the_rest():
    x = torch.randn(64, 1, 4, 4)
    out = random_flip(x, torch.Generator().manual_seed(0))
    flipped = [torch.equal(o, xi.flip(-1)) for o, xi in zip(out, x, strict=True)]
    kept = [torch.equal(o, xi) for o, xi in zip(out, x, strict=True)]
    assert all(f or k for f, k in zip(flipped, kept, strict=True))
    assert 10 < sum(flipped) < 54


def test_small_last_maps_feed_the_head_whole_large_ones_are_pooled():
    net = CNNClassifier(channels=(16, 32), hidden=64)
    flat = CNNClassifier(channels=(16, 32), hidden=64, head="flatten")
    # 28 px -> a 7x7 map: averaging it into 4x4 overlapping bins would blur it, so it is kept.
    assert n_params(net, (1, 28, 28)) == n_params(flat, (1, 28, 28))
    # 64 px -> a 16x16 map, pooled to the 4x4 grid.
    assert n_params(net, (1, 64, 64)) < n_params(flat, (1, 64, 64))


def test_pool_early_pools_before_the_norm_and_keeps_the_weights():
    early = CNNClassifier(channels=(8, 16), convs_per_block=2, pool_early=True)
    module = early.build_module((1, 28, 28), 10)
    kinds = [type(m).__name__ for m in module][:5]
    assert kinds == ["Conv2d", "MaxPool2d", "BatchNorm2d", "ReLU", "Conv2d"]
    late = CNNClassifier(channels=(8, 16), convs_per_block=2)
    assert n_params(early, (1, 28, 28)) == n_params(late, (1, 28, 28))
    X, y = bars(240, side=16)
    fitted = CNNClassifier(channels=(8, 16), pool_early=True, epochs=8, device="cpu")
    assert fitted.fit(X[:180], y[:180]).score(X[180:], y[180:]) >= 0.9


def test_tta_averages_each_image_with_its_mirror():
    X, y = bars(120)
    model = CNNClassifier(channels=(4,), hidden=8, epochs=2, flip=True, device="cpu").fit(X, y)
    plain = model.predict_proba(X[:10])
    mirrored = model.predict_proba(X[:10, :, ::-1])
    model.tta = True
    np.testing.assert_allclose(model.predict_proba(X[:10]), (plain + mirrored) / 2, atol=1e-6)


def test_tta_without_flips_is_refused():
    X, y = bars(30)
    with pytest.raises(ConfigError, match=r"CNNClassifier: tta averages .* needs flip: true"):
        CNNClassifier(tta=True).fit(X, y)


def test_large_images_are_averaged_down_once_not_every_epoch(monkeypatch):
    calls = []
    forward = torch.nn.AvgPool2d.forward
    monkeypatch.setattr(
        torch.nn.AvgPool2d, "forward", lambda self, x: calls.append(1) or forward(self, x)
    )
    X, y = bars(40, side=12)
    model = MLPClassifier(hidden=(8,), epochs=3, batch_size=8, device="cpu")
    model.fit(np.kron(X, np.ones((1, 8, 8))), y)
    assert model.downsample_ == 3 and len(calls) == 1  # once, for all 40 images
