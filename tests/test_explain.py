"""`featcmp explain`: the lecture's architecture facts, checked on its own 4x4 example."""

from __future__ import annotations

from typer.testing import CliRunner

from featcmp.cli import app
from featcmp.models.nets import CNNClassifier, MLPClassifier
from featcmp.run.explain import estimator_facts

runner = CliRunner()


def strided_convs(layers: int) -> CNNClassifier:
    """One-channel 2x2 stride-2 convs and the output layer: no padding, pooling, norm or
    hidden layer."""
    return CNNClassifier(
        channels=(1,) * layers,
        kernel_size=2,
        stride=2,
        padding=0,
        pool=0,
        batch_norm=False,
        hidden=0,
        head="flatten",
    )


def test_lecture_4x4_example_conv_against_dense():
    """The lecture's example (its textbook CNN flattens the last map): 4x4 images, 10 classes.

    CNN: one 2x2 kernel with stride 2, no padding, no pooling, no hidden dense layer, bias on.
    - The kernel lands at 4 places ((4 - 2) / 2 + 1 = 2 per axis): output 1x2x2. h11 sees
      pixels 1, 2, 5, 6; h12 sees 3, 4, 7, 8; and so on.
    - Learned parameters: 2 * 2 weights + 1 bias = 5.
    - Connections per unit: 4 (sparse: not 16).
    - Weight sharing: each of the 4 weights is used at all 4 positions.
    - Receptive field: 2x2.
    - Without sharing (the lecture's differently coloured kernels per position): 4 * 5 = 20.
    - As a dense layer from 16 inputs to the same 4 outputs: 16 * 4 + 4 = 68.
    Then the output layer, dense 4 -> 10: 4 * 10 + 10 = 50 parameters, 4 connections per unit,
    and a receptive field of the whole 4x4 image.

    MLP with 4 hidden units (as many as the conv's outputs): dense 16 -> 4 has 16 * 4 + 4 = 68
    parameters, 16 connections per unit (every pixel), no sharing, receptive field 4x4; then the
    same 4 -> 10 output layer (50).
    """
    cnn = strided_convs(1)
    conv, out = estimator_facts(cnn, (1, 4, 4), 10)
    assert conv.layer == "conv 2x2 stride 2"
    assert conv.output == (1, 2, 2)
    assert (conv.params, conv.connections, conv.sharing) == (5, 4, 4)
    assert conv.receptive == (2, 2)
    assert (conv.unshared_params, conv.dense_params) == (20, 68)
    assert (out.params, out.connections, out.sharing, out.receptive) == (50, 4, 1, (4, 4))

    mlp = MLPClassifier(hidden=(4,))
    hidden, out = estimator_facts(mlp, (1, 4, 4), 10)
    assert hidden.output == (4,)
    assert (hidden.params, hidden.connections, hidden.sharing) == (68, 16, 1)
    assert hidden.receptive == (4, 4)
    assert (out.params, out.connections) == (50, 4)


def test_deeper_layers_see_further():
    """Neighbourhoods of neighbourhoods: a second 2x2 stride-2 conv on the 2x2 map.

    Each second-layer unit sees 2x2 first-layer units, each of which sees 2x2 pixels two apart:
    receptive field 2 + (2 - 1) * 2 = 4, the whole 4x4 image, with 4 connections per unit.
    With 3x3 stride-1 kernels on 8x8 (padding 1, no pooling) the field grows 3 -> 5 -> 7.
    """
    two = strided_convs(2)
    first, second, _ = estimator_facts(two, (1, 4, 4), 10)
    assert (first.receptive, second.receptive) == ((2, 2), (4, 4))
    assert (second.connections, second.sharing, second.params) == (4, 1, 5)

    three = CNNClassifier(channels=(2, 2, 2), kernel_size=3, pool=0, batch_norm=False, hidden=0)
    convs = [f for f in estimator_facts(three, (1, 8, 8), 10) if f.layer.startswith("conv")]
    assert [f.receptive for f in convs] == [(3, 3), (5, 5), (7, 7)]
    # 'same' padding keeps 8x8: each kernel weight is shared by all 64 positions.
    assert [f.sharing for f in convs] == [64, 64, 64]
    assert [f.connections for f in convs] == [9, 18, 18]  # 3*3 per input channel


def test_pooling_and_batch_norm_rows():
    cnn = CNNClassifier(
        channels=(4,), kernel_size=3, pool=2, batch_norm=True, hidden=0, head="flatten"
    )
    conv, norm, pool, out = estimator_facts(cnn, (3, 8, 8), 5)
    assert conv.params == 4 * 3 * 3 * 3  # no bias before batch norm
    assert (norm.params, norm.sharing) == (8, 64)  # a scale and a shift per channel
    assert (pool.params, pool.connections, pool.receptive) == (0, 4, (4, 4))
    assert out.params == 4 * 4 * 4 * 5 + 5


def test_cli_explains_a_config():
    result = runner.invoke(app, ["explain", "configs/digits.yaml"])
    assert result.exit_code == 0, result.output
    assert "cnn on 1x8x8 input" in result.output and "mlp on 1x8x8 input" in result.output
    assert "conv 3x3 stride 1" in result.output
    assert "8x8 (all)" in result.output


def test_cli_explain_without_a_network_is_one_line(tmp_path):
    result = runner.invoke(app, ["explain", "configs/raw.yaml"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: configs/raw.yaml: no cnn, mlp, transfer, scattering or k-means pipeline to explain "
        "(it has: raw_svm)"
    ]


def explain_scenes(tmp_path, pipelines: str):
    """`featcmp explain` of a config of these pipelines (YAML) on a few scenes."""
    config = tmp_path / "explain.yaml"
    config.write_text(
        f"name: e\ndataset: {{source: scenes, n_per_class: 4}}\npipelines: {pipelines}\n",
        encoding="utf-8",
    )
    return runner.invoke(app, ["explain", str(config)])


def test_cli_explains_the_frozen_random_network_beside_the_cnn(tmp_path):
    result = explain_scenes(
        tmp_path, "[{name: random_cnn_svm, params: {random_cnn: {channels: [4]}}}]"
    )
    assert result.exit_code == 0, result.output
    assert "random_cnn_svm (kernels frozen at random" in result.output
    assert "random_cnn: n_blocks 1" in result.output


def test_cli_explains_scattering_without_a_network(tmp_path):
    result = explain_scenes(tmp_path, "[scattering_svm]")
    assert result.exit_code == 0, result.output
    assert "wavelet scattering (designed, nothing learned)" in result.output
    assert "81 coefficients" in result.output and "8x8 positions" in result.output
    assert "15,552 features; 0 learned parameters" in result.output
    assert "computed by featcmp's batched scattering" in result.output  # the default backend


def test_cli_explains_kmeans_features_and_what_they_learn(tmp_path):
    kmeans = "{n_centroids: 100, grid: 3, power: 0.5, mirror: true}"
    result = explain_scenes(tmp_path, f"[{{name: kmeans_svm, params: {{kmeans: {kmeans}}}}}]")
    assert result.exit_code == 0, result.output
    assert "k-means features (learned without labels)" in result.output
    out = " ".join(result.output.split())  # the console wraps long lines
    assert "100 centroids of 6x6x3 whitened patches and their 100 mirrors" in out
    assert "at 27x27 positions (stride 1), summed over 3x3 regions, raised to 0.5" in out
    assert "= 900 features" in out and "(100 x 108 = 10,800 numbers)" in out
