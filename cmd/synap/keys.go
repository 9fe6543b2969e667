package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"synap/tenant/tenantsfile"
)

type keysCmd struct {
	Hash keysHashCmd `cmd:"" help:"Print the secret_sha256 of an access key, for a tenants file."`
	New  keysNewCmd  `cmd:"" help:"Print a new random access key and, on the next line, its secret_sha256."`
}

type keysHashCmd struct {
	Secret string `arg:"" optional:"" help:"The access key; read from stdin when omitted or -, which keeps it out of the shell history."`
}

type keysNewCmd struct{}

// maxSecret bounds what keys hash reads from stdin; access keys are short.
const maxSecret = 64 << 10

func (c *keysHashCmd) Run(stdin io.Reader, stdout io.Writer) error {
	secret := c.Secret
	if secret == "" || secret == "-" {
		raw, err := io.ReadAll(io.LimitReader(stdin, maxSecret+1))
		if err != nil {
			return fmt.Errorf("reading the secret from stdin: %w", err)
		}
		if len(raw) > maxSecret {
			return fmt.Errorf("the secret on stdin is longer than %d bytes", maxSecret)
		}
		// echo and here-strings add one newline; anything else is the secret's.
		secret = string(raw)
		if s, ok := strings.CutSuffix(secret, "\r\n"); ok {
			secret = s
		} else {
			secret = strings.TrimSuffix(secret, "\n")
		}
	}
	if secret == "" {
		return errors.New("the secret is empty")
	}
	_, err := fmt.Fprintln(stdout, tenantsfile.HashKey(secret))
	return err
}

// newAccessKey is 256 random bits; the prefix makes a leaked key
// recognisable to secret scanners and people.
func newAccessKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "sk_" + base64.RawURLEncoding.EncodeToString(b[:])
}

func (keysNewCmd) Run(stdout io.Writer) error {
	key := newAccessKey()
	_, err := fmt.Fprintf(stdout, "%s\n%s\n", key, tenantsfile.HashKey(key))
	return err
}
