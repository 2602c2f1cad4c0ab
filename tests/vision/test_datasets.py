"""ember.vision.datasets on files the tests write: IDX (MNIST, FashionMNIST), CIFAR-10 binary records, image folders;
the download path through a local mirror, and the errors that say what to put where."""
import gzip
import hashlib
import io
import os
import tarfile

import numpy as np
import pytest
from PIL import Image

import ember
from ember.vision import datasets, transforms

RNG = np.random.default_rng(5)


def write_idx(path, array, gz=False):
    """The IDX layout: 0, 0, type code (8 = unsigned byte), number of dims, big-endian sizes, the bytes."""
    header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    data = header + array.astype(np.uint8).tobytes()
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(data)
    return data


def make_mnist(root, folder="MNIST", n_train=7, n_test=3, gz=False):
    raw = os.path.join(root, folder, "raw")
    os.makedirs(raw, exist_ok=True)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images, labels = RNG.integers(0, 256, (n, 28, 28)), RNG.integers(0, 10, n)
        suffix = ".gz" if gz else ""
        write_idx(os.path.join(raw, f"{prefix}-images-idx3-ubyte{suffix}"), images, gz)
        write_idx(os.path.join(raw, f"{prefix}-labels-idx1-ubyte{suffix}"), labels, gz)
        arrays[prefix] = images, labels
    return arrays


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST])
def test_mnist_reads_idx_files(tmp_path, gz, cls):
    arrays = make_mnist(tmp_path, cls.__name__, gz=gz)
    for train, prefix in ((True, "train"), (False, "t10k")):
        ds = cls(tmp_path, train=train)
        images, labels = arrays[prefix]
        assert len(ds) == len(labels)
        assert ds.data.dtype is ember.uint8 and ds.targets.dtype is ember.int64
        np.testing.assert_array_equal(ds.data.numpy(), images)
        np.testing.assert_array_equal(ds.targets.numpy(), labels)
        image, label = ds[1]
        assert isinstance(image, Image.Image) and image.mode == "L" and image.size == (28, 28)
        np.testing.assert_array_equal(np.asarray(image), images[1])
        assert type(label) is int and label == labels[1]
    assert len(cls.classes) == 10 and ds.class_to_idx[cls.classes[3]] == 3


def test_mnist_with_transforms_and_a_loader(tmp_path):
    images, labels = make_mnist(tmp_path)["train"]
    ds = datasets.MNIST(tmp_path, transform=transforms.Compose([transforms.ToTensor(),
                                                                transforms.Normalize((0.1307,), (0.3081,))]),
                        target_transform=lambda y: y * 10)
    x, y = next(iter(ember.utils.data.DataLoader(ds, batch_size=4)))
    assert tuple(x.shape) == (4, 1, 28, 28) and x.dtype is ember.float32
    expected = (images[:4, None].astype(np.float32) / np.float32(255) - np.float32(0.1307)) / np.float32(0.3081)
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6)
    np.testing.assert_array_equal(y.numpy(), labels[:4] * 10)
    assert "Number of datapoints: 7" in repr(ds) and "Split: Train" in repr(ds) and "Normalize" in repr(ds)


def test_missing_files_say_what_to_put_where(tmp_path):
    with pytest.raises(RuntimeError, match="t10k-images-idx3-ubyte") as info:
        datasets.MNIST(tmp_path, train=False)
    assert os.path.join(str(tmp_path), "MNIST", "raw") in str(info.value)
    assert "download=True" in str(info.value)


def test_damaged_idx_is_refused(tmp_path):
    make_mnist(tmp_path)
    path = os.path.join(tmp_path, "MNIST", "raw", "train-images-idx3-ubyte")
    with open(path, "r+b") as f:
        f.truncate(100)
    with pytest.raises(RuntimeError, match="truncated"):
        datasets.MNIST(tmp_path)


def _mirror(tmp_path, arrays):
    """A local folder served as a mirror (file:// URLs), with the four gzipped files and their MD5s."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    resources = []
    for prefix in ("train", "t10k"):
        for kind, array in zip(("images-idx3-ubyte", "labels-idx1-ubyte"), arrays[prefix]):
            name = f"{prefix}-{kind}.gz"
            write_idx(str(mirror / name), array, gz=True)
            resources.append((name, hashlib.md5((mirror / name).read_bytes()).hexdigest()))
    return mirror.as_uri() + "/", resources


def test_download_fetches_from_the_first_mirror_that_answers(tmp_path):
    arrays = {p: (RNG.integers(0, 256, (n, 28, 28)), RNG.integers(0, 10, n)) for p, n in (("train", 5), ("t10k", 2))}
    url, resources = _mirror(tmp_path, arrays)

    class Local(datasets.MNIST):
        mirrors = [(tmp_path / "nowhere").as_uri() + "/", url]
    Local.resources = resources
    ds = Local(tmp_path / "data", download=True)
    np.testing.assert_array_equal(ds.data.numpy(), arrays["train"][0])
    assert sorted(os.listdir(tmp_path / "data" / "Local" / "raw")) == sorted(n for n, _ in resources)
    Local.resources = [(n, "0" * 32) for n, _ in resources]  # present files are not fetched again
    assert len(Local(tmp_path / "data", train=False, download=True)) == 2


def test_download_offline_or_corrupt_says_what_to_do(tmp_path):
    class Offline(datasets.MNIST):
        mirrors = [(tmp_path / "nowhere").as_uri() + "/"]
    with pytest.raises(RuntimeError, match="could not download train-images-idx3-ubyte.gz") as info:
        Offline(tmp_path, download=True)
    assert "put it in" in str(info.value) and os.path.join("Offline", "raw") in str(info.value)
    arrays = {p: (RNG.integers(0, 256, (2, 28, 28)), RNG.integers(0, 10, 2)) for p in ("train", "t10k")}
    url, resources = _mirror(tmp_path, arrays)

    class Corrupt(datasets.MNIST):
        mirrors = [url]
    Corrupt.resources = [(n, "0" * 32) for n, _ in resources]
    with pytest.raises(RuntimeError, match="MD5"):
        Corrupt(tmp_path, download=True)


# ---- CIFAR-10 ------------------------------------------------------------------------------------------
def make_cifar(root, records=4):
    folder = os.path.join(root, "cifar-10-batches-bin")
    os.makedirs(folder, exist_ok=True)
    batches = {}
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        labels = RNG.integers(0, 10, records, dtype=np.uint8)
        planes = RNG.integers(0, 256, (records, 3, 32, 32), dtype=np.uint8)  # R plane, G plane, B plane
        with open(os.path.join(folder, name), "wb") as f:
            for label, image in zip(labels, planes):
                f.write(bytes([label]) + image.tobytes())
        batches[name] = labels, planes
    return batches


def test_cifar10_reads_binary_records(tmp_path):
    batches = make_cifar(tmp_path)
    train = datasets.CIFAR10(tmp_path)
    assert len(train) == 20 and train.data.shape == (20, 32, 32, 3) and train.data.dtype == np.uint8
    labels, planes = batches["data_batch_2.bin"]
    image, label = train[5]  # the second record of the second batch
    assert image.mode == "RGB" and image.size == (32, 32) and label == labels[1]
    np.testing.assert_array_equal(np.asarray(image)[..., 0], planes[1, 0])  # red
    np.testing.assert_array_equal(np.asarray(image)[..., 2], planes[1, 2])  # blue
    test = datasets.CIFAR10(tmp_path, train=False, transform=transforms.ToTensor())
    x, y = test[3]
    np.testing.assert_allclose(x.numpy(), batches["test_batch.bin"][1][3] / np.float32(255), rtol=1e-7)
    assert test.targets == batches["test_batch.bin"][0].tolist() and train.class_to_idx["truck"] == 9


def test_cifar10_refuses_the_pickled_distribution(tmp_path):
    os.makedirs(tmp_path / "cifar-10-batches-py")
    (tmp_path / "cifar-10-batches-py" / "data_batch_1").write_bytes(b"\x80\x04not read")
    with pytest.raises(RuntimeError, match="cifar-10-binary.tar.gz") as info:
        datasets.CIFAR10(tmp_path)
    assert "pickled" in str(info.value) and "cifar-10-batches-bin" in str(info.value)


def test_cifar10_download_extracts_only_the_batches(tmp_path):
    source = tmp_path / "source"
    make_cifar(source, records=2)
    archive = tmp_path / "cifar-10-binary.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source / "cifar-10-batches-bin", arcname="cifar-10-batches-bin")
        evil = tarfile.TarInfo("../outside.bin")
        evil.size = 3
        tar.addfile(evil, io.BytesIO(b"bad"))

    class Local(datasets.CIFAR10):
        url = archive.as_uri()
        tgz_md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    ds = Local(tmp_path / "data", download=True)
    assert len(ds) == 10 and not (tmp_path / "outside.bin").exists()


# ---- ImageFolder ---------------------------------------------------------------------------------------
def test_image_folder(tmp_path):
    pictures = {}
    for cls in ("dog", "cat"):
        os.makedirs(tmp_path / cls / "more")
        for i, sub in enumerate(["", "more"]):
            array = RNG.integers(0, 256, (5, 4, 3), dtype=np.uint8)
            path = tmp_path / cls / sub / f"{cls}{i}.png"
            Image.fromarray(array).save(path)
            pictures[str(path)] = array
    Image.fromarray(RNG.integers(0, 256, (5, 4), dtype=np.uint8)).save(tmp_path / "cat" / "gray.bmp")
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    ds = datasets.ImageFolder(tmp_path, transform=transforms.ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert [os.path.basename(p) for p, _ in ds.samples] == ["cat0.png", "gray.bmp", "cat1.png", "dog0.png",
                                                             "dog1.png"]
    assert ds.targets == [0, 0, 0, 1, 1] and ds.imgs == ds.samples
    x, y = ds[3]
    np.testing.assert_allclose(x.numpy(), pictures[ds.samples[3][0]].transpose(2, 0, 1) / np.float32(255))
    assert tuple(ds[1][0].shape) == (3, 5, 4)  # grayscale files are read as RGB
    with pytest.raises(FileNotFoundError, match="class folder"):
        datasets.ImageFolder(tmp_path / "cat" / "more")
