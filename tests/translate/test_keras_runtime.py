"""Keras -> PyTorch through the runtime: Keras models built by code, read from their graph.

Each model here defeats the static reading (sizes computed by a helper, a condition on
``keras.config.image_data_format()``, blocks stacked by a loop over a config, a nested model,
``keras.ops`` calls on symbolic tensors, layer classes of the file); ``translate(run_code=True)`` builds it in a
verification worker, prints its layer graph as Functional source and translates that, and the
real verifier runs both models at atol 1e-4 with the weights copied across by layer name.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlsense.translators import Translation, TranslationError, translate
from mlsense.translators.verify import VerificationWorker, verify_translation

pytestmark = pytest.mark.slow

HEAD = "import keras\nfrom keras import layers\n\n"

# Keras Applications style: the padding comes from a helper that reads the tensor's shape, the
# axis from the backend's data format, blocks from a loop over a config table.
BUILDER = HEAD + '''
STAGES = [(16, 1), (24, 2), (24, 1)]


def correct_pad(inputs, kernel_size):
    size = inputs.shape[1:3]
    adjust = (1 - size[0] % 2, 1 - size[1] % 2)
    correct = (kernel_size // 2, kernel_size // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def block(x, filters, stride, name):
    axis = 3 if keras.config.image_data_format() == "channels_last" else 1
    shortcut = x
    if stride == 2:
        x = layers.ZeroPadding2D(padding=correct_pad(x, 3), name=name + "_pad")(x)
    x = layers.DepthwiseConv2D(3, strides=stride, padding="same" if stride == 1 else "valid",
                               use_bias=False, name=name + "_dw")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999,
                                  name=name + "_dw_bn")(x)
    x = layers.ReLU(6.0, name=name + "_relu")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=name + "_project")(x)
    x = layers.BatchNormalization(axis=axis, scale=False, name=name + "_project_bn")(x)
    if stride == 1 and shortcut.shape[-1] == filters:
        x = layers.Add(name=name + "_add")([shortcut, x])
    return x


def build_net(input_shape=(33, 33, 3), classes=5):
    inputs = layers.Input(shape=input_shape)
    x = layers.Conv2D(16, 3, padding="same", name="stem")(inputs)
    for i, (filters, stride) in enumerate(STAGES):
        x = block(x, filters, stride, name=f"block{i}")
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="tiny_mobile")
'''

# A base model used as a layer of a classifier (transfer learning), and keras.ops on tensors.
NESTED = HEAD + '''
def make_base():
    inputs = keras.Input(shape=(12, 12, 3))
    x = layers.Conv2D(8, 3, activation="relu", name="conv")(inputs)
    x = layers.MaxPooling2D(name="pool")(x)
    return keras.Model(inputs, x, name="base")


def make_classifier():
    base = make_base()
    augment = keras.Sequential([layers.RandomFlip("horizontal")], name="augment")
    inputs = keras.Input(shape=(12, 12, 3))
    x = augment(inputs)
    x = base(x)
    x = keras.ops.add(x, keras.ops.multiply(x, 0.5))
    x = layers.Flatten(name="flat")(x)
    outputs = layers.Dense(4, name="conv")(x)
    return keras.Model(inputs, outputs)


model = make_classifier()
'''

# Layer classes of the file inside a built graph (Keras Applications' CustomScaleLayer,
# ConvNeXt's LayerScale): a list input, a weight made without a name.
CUSTOM = HEAD + '''
class ScaleSum(layers.Layer):
    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale


class LayerScale(layers.Layer):
    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, _):
        self.gamma = self.add_weight(shape=(self.projection_dim,),
                                     initializer=keras.initializers.Constant(self.init_values))

    def call(self, x):
        return x * self.gamma


def build(width):
    inputs = keras.Input(shape=(6,))
    x = layers.Dense(width)(inputs)
    for i in range(2):
        y = layers.Dense(width, name=f"branch{i}")(x)
        x = ScaleSum(0.25 * (i + 1))([x, y])
        x = LayerScale(0.5, width)(x)
    return keras.Model(inputs, layers.Dense(1)(x))
'''

UNREADABLE = HEAD + '''
class Apply(layers.Layer):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def call(self, x):
        return self.fn(x)


def build():
    inputs = keras.Input(shape=(6,))
    x = layers.Dense(4)(inputs)
    for _ in range(2):
        x = Apply(lambda t: t * 2.0)(x)
    return keras.Model(inputs, x)
'''

SUBCLASS = HEAD + '''
class Net(keras.Model):
    def __init__(self, sizes):
        super().__init__()
        self.hidden = [layers.Dense(n) for n in sizes]

    def call(self, x):
        for layer in self.hidden:
            x = layer(x)
        return x


model = Net(sizes=make_sizes())
'''

# A siamese pair (keras-io's siamese_contrastive): one tower model called on two inputs shares
# its weights; Lambda layers over a def of the file and over a lambda that is not symmetric in
# its inputs, so the order of the model's inputs counts.
SIAMESE = HEAD + '''
def euclidean_distance(vects):
    x, y = vects
    sum_square = keras.ops.sum(keras.ops.square(x - y), axis=1, keepdims=True)
    return keras.ops.sqrt(keras.ops.maximum(sum_square, keras.backend.epsilon()))


def tower(shape):
    inputs = keras.Input(shape=shape)
    x = layers.Conv2D(4, 3, activation="tanh")(inputs)
    x = layers.Flatten()(x)
    return keras.Model(inputs, layers.Dense(6)(x))


def build(shape=(8, 8, 1)):
    embed = tower(shape)
    first, second = keras.Input(shape), keras.Input(shape)
    distance = layers.Lambda(euclidean_distance)([embed(first), embed(second)])
    flat = [layers.Flatten()(first), layers.Flatten()(second)]
    skew = layers.Lambda(lambda t: t[0] - 2.0 * t[1])(flat)
    x = layers.Concatenate()([distance, layers.Dense(3)(skew)])
    return keras.Model([first, second], layers.Dense(1, activation="sigmoid")(x))
'''

# keras-io's MLP-Mixer: patches cut by keras.ops.image.extract_patches in a layer class that
# reads keras.ops.shape, blocks holding a keras.Sequential, a class without **kwargs (no name=:
# its instances are told apart by the order Keras numbers them), a constructor default read
# from a module constant, a RandomCrop to the input's own size.
MIXER = HEAD + '''
patch_size = 4
hidden = 8


class Patches(layers.Layer):
    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, x):
        patches = keras.ops.image.extract_patches(x, self.patch_size)
        batch_size = keras.ops.shape(patches)[0]
        num_patches = keras.ops.shape(patches)[1] * keras.ops.shape(patches)[2]
        return keras.ops.reshape(patches, (batch_size, num_patches, keras.ops.shape(patches)[-1]))


class MixerBlock(layers.Layer):
    def __init__(self, num_patches, width=hidden):
        super().__init__()
        self.mlp = keras.Sequential([layers.Dense(num_patches, activation="gelu"),
                                     layers.Dense(num_patches)])
        self.norm = layers.LayerNormalization(epsilon=1e-6)

    def build(self, input_shape):
        return super().build(input_shape)

    def call(self, inputs):
        x = keras.ops.transpose(self.norm(inputs), axes=(0, 2, 1))
        x = keras.ops.transpose(self.mlp(x), axes=(0, 2, 1))
        return x + inputs


def build(image=12):
    inputs = keras.Input(shape=(image, image, 3))
    x = layers.RandomCrop(image, image)(inputs)
    x = Patches(patch_size)(x)
    x = layers.Dense(hidden)(x)
    for _ in range(2):
        x = MixerBlock(x.shape[1])(x)
    return keras.Model(inputs, layers.Dense(2)(layers.GlobalAveragePooling1D()(x)))
'''

# A script: the model comes from a builder the static reading cannot follow (a loop over a
# config and the backend's data format); the file's own data, compile, fit and evaluate follow.
SCRIPT = HEAD + '''import numpy as np

STAGES = [8, 12]


def block(x, filters):
    axis = 3 if keras.config.image_data_format() == "channels_last" else 1
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(axis=axis)(x)
    return layers.ReLU()(x)


def make_model(input_shape=(10, 10, 3), classes=4):
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for filters in STAGES:
        x = block(x, filters)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(classes, activation="softmax")(x))


def scale(images):
    return images / 255.0


x_train = scale(np.random.rand(48, 10, 10, 3).astype("float32") * 255)
y_train = np.random.randint(0, 4, size=(48,))
model = make_model()
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=16, epochs=2)
print(model.evaluate(x_train, y_train))
'''

# keras-io's compact transformers (cct.py, token_learner.py, eanet.py): a tokenizer whose
# keras.Sequential grows by add() in a loop of __init__, position ids from keras.ops.arange
# into an Embedding, a learned table sliced and broadcast over the batch, a training-only branch,
# dense layers with activation=keras.ops.gelu (the tanh approximation, though Keras serializes
# it as "gelu"), keras.ops.squeeze, and a constructor argument kept only by the sublayer it
# configures (projection_dim: the Embedding's output_dim).
TOKENS = HEAD + '''
class Tokenizer(layers.Layer):
    def __init__(self, num_conv_layers=2, channels=[6, 8], **kwargs):
        super().__init__(**kwargs)
        self.conv_model = keras.Sequential()
        for i in range(num_conv_layers):
            self.conv_model.add(layers.Conv2D(channels[i], 3, padding="same", use_bias=False))
            self.conv_model.add(layers.MaxPooling2D(2))

    def call(self, images):
        outputs = self.conv_model(images)
        return keras.ops.reshape(outputs, (-1, keras.ops.shape(outputs)[1] *
                                           keras.ops.shape(outputs)[2],
                                           keras.ops.shape(outputs)[-1]))


class PatchEncoder(layers.Layer):
    def __init__(self, num_patches, projection_dim):
        super().__init__()
        self.num_patches = num_patches
        self.position_embedding = layers.Embedding(input_dim=num_patches,
                                                   output_dim=projection_dim)

    def call(self, patch):
        positions = keras.ops.arange(start=0, stop=self.num_patches, step=1)
        return patch + self.position_embedding(positions)


class Table(layers.Layer):
    def __init__(self, length, **kwargs):
        super().__init__(**kwargs)
        self.length = int(length)

    def build(self, input_shape):
        self.table = self.add_weight(name="table", shape=[self.length, input_shape[-1]])

    def call(self, inputs, start_index=0):
        shape = keras.ops.shape(inputs)
        table = keras.ops.convert_to_tensor(self.table)
        table = keras.ops.slice(table, (start_index, 0), (shape[-2], shape[-1]))
        return keras.ops.broadcast_to(table, shape)


class StochasticDepth(layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, x, training=None):
        if training:
            keep = 1 - self.rate
            return x / keep * keras.ops.floor(keep + keras.random.uniform((1,)))
        return x


def build(depth=2):
    inputs = keras.Input(shape=(16, 16, 3))
    x = Tokenizer()(inputs)
    x = PatchEncoder(16, 8)(x)
    x = x + Table(16)(x)
    for _ in range(depth):
        y = layers.Dense(8, activation=keras.ops.gelu)(layers.LayerNormalization()(x))
        x = layers.Add()([x, StochasticDepth(0.1)(y)])
    weights = keras.ops.softmax(layers.Dense(1)(x), axis=1)
    x = keras.ops.squeeze(keras.ops.matmul(keras.ops.transpose(weights, (0, 2, 1)), x), -2)
    return keras.Model(inputs, layers.Dense(3)(x))
'''


@pytest.fixture(scope="module")
def worker() -> Iterator[VerificationWorker]:
    with VerificationWorker(idle_timeout=0) as pool:
        yield pool


def _verified(tmp_path, worker: VerificationWorker, source: str, select: str | None,
              shape: tuple[int, ...] | None = None) -> Translation:
    path = tmp_path / "model.py"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(TranslationError):  # the static reading alone stops on these files
        translate(source, "pytorch", class_name=select, input_shape=shape, filename=str(path))
    tr = translate(source, "pytorch", class_name=select, input_shape=shape, filename=str(path),
                   run_code=True, worker=worker)
    report = verify_translation(str(path), tr, source_text=source, worker=worker, onnx=False,
                                training=False)
    assert report.verified, report.message
    assert report.max_abs_error is not None and report.max_abs_error <= 1e-4
    assert "as built by running the file" in tr.notes[0]
    compile(tr.target_code, "emitted.py", "exec")
    return tr


def test_a_builder_with_helpers_loops_and_data_format(tmp_path, worker) -> None:
    tr = _verified(tmp_path, worker, BUILDER, "build_net(classes=7)")
    assert tr.source_model == "build_net(classes=7)"
    code = tr.target_code
    # one module per layer, named as Keras names them; the padding the helper computed
    assert "self.block1_dw = nn.Conv2d(16, 16, 3, stride=2, groups=16, bias=False)" in code
    assert "F.pad(" in code and "nn.Linear(24, 7)" in code
    assert "fixed_affine(nn.BatchNorm2d(24" in code and "scale=False" in code
    assert "class TinyMobile(nn.Module):" in code
    # every weight is found by its layer's place in model.layers (Keras' automatic names shift
    # from one build to the next) and located where the user built the layer
    assert tr.weight_map and all(w.keras_path.startswith("index:") for w in tr.weight_map)
    dw = next(w for w in tr.weight_map if w.torch_path == "block1_dw")
    assert BUILDER.splitlines()[dw.line - 1].lstrip().startswith("x = layers.DepthwiseConv2D(")


def test_a_nested_model_and_ops_on_symbolic_tensors(tmp_path, worker) -> None:
    tr = _verified(tmp_path, worker, NESTED, "model")
    paths = {w.keras_path for w in tr.weight_map}
    # model.layers: input, augment, base, flat, conv (keras.ops calls are not layers); the
    # base's own "conv" is reached through the base
    assert paths == {"index:2/1", "index:4"}, paths
    # the augmentation acts only while training: an identity here, with what to use instead
    assert "RandomFlip acts only while training" in tr.target_code
    assert "RandomHorizontalFlip" in tr.target_code
    assert tr.source_model == "model"


def test_layer_classes_of_the_file_in_a_built_graph(tmp_path, worker) -> None:
    tr = _verified(tmp_path, worker, CUSTOM, "build(8)")
    # each instance with the arguments it was built with, read back from the running model
    assert "0.25" in tr.target_code and "0.5" in tr.target_code
    assert sum(w.kind == "variables" for w in tr.weight_map) == 2  # each LayerScale's gamma
    # built again in the same worker, the layers get other automatic names: still verified
    _verified(tmp_path, worker, CUSTOM, "build(8)")


def test_a_layer_built_with_a_function_is_located(tmp_path, worker) -> None:
    path = tmp_path / "model.py"
    path.write_text(UNREADABLE, encoding="utf-8")
    with pytest.raises(TranslationError) as err:
        translate(UNREADABLE, "pytorch", class_name="build", filename=str(path), run_code=True,
                  worker=worker)
    message = str(err.value)
    line = UNREADABLE.splitlines().index("        x = Apply(lambda t: t * 2.0)(x)") + 1
    assert message.startswith(f"{path}:{line}:"), message
    assert "Apply" in message and "argument fn is not a literal" in message


def test_a_subclassed_model_keeps_the_static_reason(tmp_path, worker) -> None:
    path = tmp_path / "model.py"
    path.write_text(SUBCLASS, encoding="utf-8")
    with pytest.raises(TranslationError) as static:
        translate(SUBCLASS, "pytorch", filename=str(path))
    with pytest.raises(TranslationError) as runtime:
        translate(SUBCLASS, "pytorch", filename=str(path), run_code=True, worker=worker)
    assert str(runtime.value) == str(static.value)


def test_a_name_the_file_does_not_define_keeps_the_static_reason(tmp_path, worker) -> None:
    path = tmp_path / "model.py"
    path.write_text(BUILDER, encoding="utf-8")
    with pytest.raises(TranslationError) as static:
        translate(BUILDER, "pytorch", class_name="build_nett", filename=str(path))
    with pytest.raises(TranslationError) as runtime:
        translate(BUILDER, "pytorch", class_name="build_nett", filename=str(path),
                  run_code=True, worker=worker)
    assert str(runtime.value) == str(static.value)


def test_a_shared_tower_and_lambda_layers(tmp_path, worker) -> None:
    tr = _verified(tmp_path, worker, SIAMESE, "build()")
    code = tr.target_code
    # the tower called twice keeps one set of weights, as in Keras
    assert code.count("nn.Conv2d(") == 1 and code.count("nn.Linear(144, 6)") == 1, code
    # the def is traced in place, and nothing of the Keras side is left over
    assert "torch.clamp(" in code and "min=1e-07" in code
    assert " - (2.0 * " in code  # the lambda, traced in place
    assert "def " not in code.split("return dense", 1)[1] and "keras" not in code


def test_patches_sequential_blocks_and_unnamed_layer_classes(tmp_path, worker) -> None:
    tr = _verified(tmp_path, worker, MIXER, "build()")
    code = tr.target_code
    # each patch flattened in Keras' (row, column, channel) order
    assert ".unfold(1, self.patch_size, self.patch_size).unfold(2, self.patch_size, " \
        "self.patch_size).permute(0, 1, 2, 4, 5, 3).flatten(3)" in code
    # the blocks' Sequential layers, reached in Keras through the instance's .mlp.layers
    assert "self.mixer_block2_mlp1 = nn.Linear(9, 9)" in code
    assert "class Build(nn.Module):" in code  # named after the builder, not functional_N
    owned = [w.keras_path for w in tr.weight_map if ".mlp.layers." in w.keras_path]
    assert len(owned) == 4, tr.weight_map
    assert "RandomCrop acts only while training here" in code


def test_a_script_keeps_its_training_code(tmp_path, worker) -> None:
    path = tmp_path / "train.py"
    path.write_text(SCRIPT, encoding="utf-8")
    tr = translate(SCRIPT, "pytorch", class_name="model", filename=str(path), run_code=True,
                   worker=worker)
    code = tr.target_code
    assert "the script's statements around it follow" in tr.notes[0], tr.notes
    # the file's own helpers and data, the loss and optimizer from compile(), fit's loop
    assert "def scale(images):" in code and "x_train = scale(" in code
    assert "loss_fn = nn.NLLLoss()" in code and "torch.optim.Adam(model.parameters()" in code
    assert "for epoch in range(2):" in code and "model = Model()" in code
    assert "keras" not in code.replace("Keras", "")
    report = verify_translation(str(path), tr, source_text=SCRIPT, worker=worker, onnx=False)
    assert report.verified, report.message
    # the same training steps on both sides, the model built by running the file
    assert report.training is not None and report.training.ran and report.training.verified, \
        report.training


def test_compact_transformer_pieces(tmp_path, worker) -> None:
    tr = _verified(tmp_path, worker, TOKENS, "build()")
    code = tr.target_code
    assert "torch.arange(self.num_patches, device=patch.device)" in code  # on its device
    assert ".expand(" in code and 'approximate="tanh"' in code and ".squeeze(1)" in code
    assert "PatchEncoder(num_patches=16, projection_dim=8)" in code  # read from its Embedding
    assert any("StochasticDepth.call(): what it does while training" in n for n in tr.notes)
    assert sum(".conv_model.layers." in w.keras_path for w in tr.weight_map) == 2
