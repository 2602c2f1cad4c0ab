"""Datasets of images: MNIST and FashionMNIST (IDX files), CIFAR10 (its binary records), ImageFolder.

Each reads the files torchvision reads, from the same folders, and gives the same samples: a PIL image (through
``transform`` if given) and an int label (through ``target_transform``). Nothing here unpickles anything:
CIFAR-10 is read from its binary distribution, fixed-size records of bytes.
"""
import gzip
import hashlib
import os
import tarfile
import urllib.error
import urllib.request

import numpy as np
from PIL import Image

from ..tensor import _wrap
from ..utils.data import Dataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "ImageFolder", "DatasetFolder", "IMG_EXTENSIONS"]


class VisionDataset(Dataset):
    """root, transform and target_transform, and a repr that says what the dataset holds."""
    _repr_indent = 4

    def __init__(self, root, transform=None, target_transform=None):
        self.root = os.path.expanduser(os.fspath(root)) if root is not None else root
        self.transform, self.target_transform = transform, target_transform

    def _apply(self, image, target):
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += [line for line in self.extra_repr().splitlines() if line]
        for name, fn in (("Transforms", self.transform), ("Target transforms", self.target_transform)):
            if fn is not None:
                body = repr(fn).splitlines()
                lines.append(f"{name} (if any): {body[0]}")
                lines += [" " * (len(name) + 13) + line for line in body[1:]]
        return "\n".join([f"Dataset {type(self).__name__}"] + [" " * self._repr_indent + line for line in lines])


# ----------------------------------------------------------------------------
# downloading (only where asked, only what is listed, checked by MD5)
# ----------------------------------------------------------------------------
def _md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(urls, folder, filename, md5, put_it_where):
    """Fetch filename from the first url that answers, into folder; check its MD5. A clear error when offline."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, filename)
    if os.path.isfile(path) and (md5 is None or _md5(path) == md5):
        return path
    failures = []
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                data = response.read()
        except (urllib.error.URLError, OSError, ValueError) as error:
            failures.append(f"{url}: {getattr(error, 'reason', error)}")
            continue
        if md5 is not None and hashlib.md5(data).hexdigest() != md5:
            failures.append(f"{url}: the file's MD5 is not {md5} (a damaged or different file)")
            continue
        tmp = path + ".part"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        return path
    raise RuntimeError(f"could not download {filename} ({'; '.join(failures)}). Without a network, get the file "
                       f"on another machine and {put_it_where}")


# ----------------------------------------------------------------------------
# MNIST and FashionMNIST: IDX files
# ----------------------------------------------------------------------------
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"),
              0x0E: np.dtype(">f8")}


def read_idx(path):
    """An IDX file (gzip or not) as a NumPy array: two zero bytes, a type code, the number of dimensions, the sizes
    as big-endian 32-bit integers, then the values."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise RuntimeError(f"{path} is not an IDX file (it should start with two zero bytes and a type code)")
    ndim = data[3]
    shape = tuple(int(n) for n in np.frombuffer(data, ">u4", ndim, 4))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    if len(data) != 4 + 4 * ndim + int(np.prod(shape)) * dtype.itemsize:
        raise RuntimeError(f"{path} is truncated or damaged: its header promises {shape} values of {dtype}")
    return np.frombuffer(data, dtype, offset=4 + 4 * ndim).reshape(shape).astype(dtype.newbyteorder("="))


class MNIST(VisionDataset):
    """The MNIST digits from root/MNIST/raw: train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte
    and t10k-labels-idx1-ubyte (each may be .gz). Samples are (28x28 grayscale PIL image, int label)."""

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        self.train = train
        if download:
            self.download()
        prefix = "train" if train else "t10k"
        images, labels = (self._find(f"{prefix}-{kind}") for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"))
        self.data = _wrap(read_idx(images).astype(np.uint8))
        self.targets = _wrap(read_idx(labels).astype(np.int64))
        if len(self.data) != len(self.targets):
            raise RuntimeError(f"{images} holds {len(self.data)} images but {labels} {len(self.targets)} labels")

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    def _where(self):
        names = ", ".join(name for name, _ in self.resources)
        return (f"put {names} (gzipped or not) in {os.path.abspath(self.raw_folder)}; or pass download=True where "
                f"the network reaches {self.mirrors[0]}")

    def _find(self, stem):
        for name in (stem, stem + ".gz"):
            path = os.path.join(self.raw_folder, name)
            if os.path.isfile(path):
                return path
        raise RuntimeError(f"Dataset not found: no {stem}[.gz] in {os.path.abspath(self.raw_folder)}. "
                           f"To get it, {self._where()}")

    def download(self):
        """Fetch the four files from the first mirror that answers (MD5-checked), unless they are there."""
        for filename, md5 in self.resources:
            stem = filename[:-3]
            if any(os.path.isfile(os.path.join(self.raw_folder, n)) for n in (stem, filename)):
                continue
            _download([mirror + filename for mirror in self.mirrors], self.raw_folder, filename, md5,
                      f"put it in {os.path.abspath(self.raw_folder)} (all four: "
                      f"{', '.join(n for n, _ in self.resources)})")

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image = Image.fromarray(self.data._data[int(index)])  # 2-D uint8: mode "L"
        return self._apply(image, int(self.targets._data[int(index)]))

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"

    # the names of the data before torchvision 0.4, still read by course code
    train_data = test_data = property(lambda self: self.data)
    train_labels = test_labels = property(lambda self: self.targets)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: the MNIST layout and file names, under root/FashionMNIST/raw."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


# ----------------------------------------------------------------------------
# CIFAR-10: the binary version (fixed-size records, no pickle)
# ----------------------------------------------------------------------------
class CIFAR10(VisionDataset):
    """CIFAR-10 from root/cifar-10-batches-bin (the binary distribution, cifar-10-binary.tar.gz): data_batch_1.bin
    to data_batch_5.bin and test_batch.bin, 10000 records each of one label byte and 3072 pixel bytes (the red
    plane, then green, then blue, 32x32 each). Samples are (32x32 RGB PIL image, int label).

    torchvision reads the Python version (cifar-10-batches-py), which is pickled: ember never unpickles, so that
    version is refused with a message saying which file to get instead."""

    base_folder = "cifar-10-batches-bin"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    filename = "cifar-10-binary.tar.gz"
    tgz_md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    _record = 1 + 3 * 32 * 32

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        self.train = train
        if download:
            self.download()
        folder = os.path.join(self.root, self.base_folder)
        records = []
        for name in (self.train_list if train else self.test_list):
            path = os.path.join(folder, name)
            if not os.path.isfile(path):
                raise RuntimeError(self._missing(path))
            raw = np.fromfile(path, np.uint8)
            if raw.size % self._record:
                raise RuntimeError(f"{path} is not a CIFAR-10 binary batch: its size is not a multiple of the "
                                   f"{self._record}-byte record")
            records.append(raw.reshape(-1, self._record))
        records = np.concatenate(records)
        self.data = np.ascontiguousarray(records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))  # N,H,W,C
        self.targets = records[:, 0].astype(np.int64).tolist()
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def _missing(self, path):
        pickled = os.path.join(self.root, "cifar-10-batches-py")
        hint = (f" (found {pickled}: that is the Python version, pickled, which ember does not read)"
                if os.path.isdir(pickled) else "")
        return (f"Dataset not found: {path} is missing{hint}. Get the binary version, {self.url}, and extract it "
                f"in {os.path.abspath(self.root)} so that {self.base_folder}/data_batch_1.bin is there; or pass "
                f"download=True where the network reaches it")

    def download(self):
        folder = os.path.join(self.root, self.base_folder)
        if all(os.path.isfile(os.path.join(folder, n)) for n in self.train_list + self.test_list):
            return
        archive = _download([self.url], self.root, self.filename, self.tgz_md5,
                            f"put it in {os.path.abspath(self.root)}")
        with tarfile.open(archive, "r:gz") as tar:  # only the batch files, as plain files, into base_folder
            for member in tar.getmembers():
                name = os.path.basename(member.name)
                if member.isfile() and name in self.train_list + self.test_list + ["batches.meta.txt"]:
                    os.makedirs(folder, exist_ok=True)
                    with tar.extractfile(member) as src, open(os.path.join(folder, name), "wb") as dst:
                        dst.write(src.read())

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        return self._apply(Image.fromarray(self.data[int(index)]), self.targets[int(index)])

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


# ----------------------------------------------------------------------------
# a folder per class
# ----------------------------------------------------------------------------
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def pil_loader(path):
    with open(path, "rb") as f:
        return Image.open(f).convert("RGB")


def default_loader(path):
    return pil_loader(path)


class DatasetFolder(VisionDataset):
    """root/class_x/xxx.ext: one folder per class (sorted names give the indices), files found recursively."""

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None, is_valid_file=None,
                 allow_empty=False):
        super().__init__(root, transform, target_transform)
        if (extensions is None) == (is_valid_file is None):
            raise ValueError("Both extensions and is_valid_file cannot be None or not None at the same time")
        self.classes, self.class_to_idx = self.find_classes(self.root)
        if is_valid_file is None:
            lowered = tuple(e.lower() for e in extensions)
            is_valid_file = lambda path: path.lower().endswith(lowered)  # noqa: E731
        self.samples = []
        for name in self.classes:
            found = []
            for folder, _, files in sorted(os.walk(os.path.join(self.root, name), followlinks=True)):
                found += [(os.path.join(folder, f), self.class_to_idx[name]) for f in sorted(files)
                          if is_valid_file(os.path.join(folder, f))]
            if not found and not allow_empty:
                raise FileNotFoundError(f"Found no valid file for the class {name}. Supported extensions are: "
                                        f"{', '.join(extensions or ())}")
            self.samples += found
        self.loader, self.extensions = loader, extensions
        self.targets = [target for _, target in self.samples]

    @staticmethod
    def find_classes(directory):
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"Couldn't find any class folder in {directory}: the folder does not exist")
        classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
        if not classes:
            raise FileNotFoundError(f"Couldn't find any class folder in {directory}: put each class's images in "
                                    f"a folder of its own, e.g. {directory}/cat/1.png")
        return classes, {name: i for i, name in enumerate(classes)}

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, target = self.samples[index]
        return self._apply(self.loader(path), target)


class ImageFolder(DatasetFolder):
    """Images in root/class_name/*.png (or .jpg, ...), read with Pillow as RGB."""

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader, is_valid_file=None,
                 allow_empty=False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None, transform,
                         target_transform, is_valid_file, allow_empty)
        self.imgs = self.samples
