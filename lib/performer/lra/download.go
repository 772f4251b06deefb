package lra

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// FashionMNISTURL is the folder Zalando publishes the Fashion-MNIST files
// in (github.com/zalandoresearch/fashion-mnist), the default base of
// [DownloadFashionMNIST].
const FashionMNISTURL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com"

// fashionMNISTDigests are the SHA-256 digests of the four files'
// decompressed IDX bytes, measured on Debian's dataset-fashion-mnist. Its
// .gz files differ from Zalando's (their MD5s are not the ones Zalando
// publishes), so the content is checked, not the .gz; that Debian's content
// equals Zalando's is assumed (it could not be checked offline): if it did
// not, the download fails with both digests named. A variable so that
// tests can serve small files.
var fashionMNISTDigests = map[string]string{
	"train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
	"train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
	"t10k-images-idx3-ubyte.gz":  "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
	"t10k-labels-idx1-ubyte.gz":  "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

// DownloadFashionMNIST fetches the four Fashion-MNIST files from base (""
// means [FashionMNISTURL]) into dir, for machines without Debian's
// dataset-fashion-mnist: afterwards LoadFashionMNIST(dir, ...) (or
// $LABNOTES_FASHION_MNIST=dir) reads them. A file already in dir whose
// decompressed content has the published SHA-256 is kept; every download
// is checked the same way before it replaces anything (written to a
// temporary file and renamed), so dir never holds a partial or wrong file.
// client nil means http.DefaultClient. Errors name the URL or file.
func DownloadFashionMNIST(ctx context.Context, client *http.Client, base, dir string) error {
	if client == nil {
		client = http.DefaultClient
	}
	if base == "" {
		base = FashionMNISTURL
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("lra: Fashion-MNIST folder %s: %w", dir, err)
	}
	for _, name := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
		"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		want, dst := fashionMNISTDigests[name], filepath.Join(dir, name)
		if got, err := gunzipSHA256(dst); err == nil && got == want {
			continue
		}
		if err := fetchChecked(ctx, client, strings.TrimSuffix(base, "/")+"/"+name, dst, want); err != nil {
			return err
		}
	}
	return nil
}

// fetchChecked downloads url to dst through a temporary file in dst's
// folder, keeping it only if its decompressed content has SHA-256 want.
func fetchChecked(ctx context.Context, client *http.Client, url, dst, want string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("lra: download %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("lra: download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("lra: download %s: %s", url, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".download-*")
	if err != nil {
		return fmt.Errorf("lra: download %s: %w", url, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, resp.Body); err != nil {
		tmp.Close()
		return fmt.Errorf("lra: download %s: %w", url, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("lra: download %s: %w", url, err)
	}
	got, err := gunzipSHA256(tmp.Name())
	if err != nil {
		return fmt.Errorf("lra: download %s: not a valid gzip file: %w", url, err)
	}
	if got != want {
		return fmt.Errorf("lra: download %s: content SHA-256 %s, want %s (not the published Fashion-MNIST file)", url, got, want)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("lra: download %s: %w", url, err)
	}
	return nil
}

// gunzipSHA256 returns the hex SHA-256 of the decompressed content of the
// gzip file at path.
func gunzipSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, zr); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
