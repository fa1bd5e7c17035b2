# Installation and toolchain settings; override on the command line.
VERSION = 0.1.0
PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/site-functions
CC = cc
OPT = -O2
FUZZCC = clang-14
FUZZ_SECONDS = 60
