#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Builds the Debian packages from debian/ (dpkg-buildpackage -us -uc, binary
# only) in a copy of this tree's files, so that the package build neither
# cleans nor writes anything outside OUTDIR:
#
#   scripts/build-deb.sh OUTDIR               trustnode and trustnode-dkms
#   scripts/build-deb.sh --dkms-only OUTDIR   trustnode-dkms alone (-A)
#   scripts/build-deb.sh --twice OUTDIR       build twice, in OUTDIR/first and
#                                             OUTDIR/second, compare the .debs
#                                             byte for byte
#   scripts/build-deb.sh --as-version V OUTDIR  this tree labelled version V
#                                             (VERSION and a changelog entry
#                                             in the copy): an "older" package
#                                             for the upgrade test
#
# The copy holds the files git knows plus new ones not ignored (a checkout
# under development packages what it has). The .debs end up in OUTDIR;
# prints their paths. Exit status 1 if a build fails or the two differ.
set -eu

mode=all AS_VERSION=
case ${1:-} in
--dkms-only) mode=indep; shift ;;
--twice) mode=twice; shift ;;
--as-version) AS_VERSION=${2:-}; shift 2 || true ;;
esac
[ $# -eq 1 ] || { echo "usage: $0 [--dkms-only|--twice|--as-version V] OUTDIR" >&2; exit 2; }
cd "$(dirname "$0")/.."
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
VERSION=${AS_VERSION:-$(cat VERSION)}
SRC=$OUT/src/trustnode-$VERSION

copy_tree() {
	rm -rf "$OUT/src"
	mkdir -p "$SRC"
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
			tar --null -T - -cf - | tar -xf - -C "$SRC"
	else
		# An unpacked tarball: everything but what builds make.
		tar --exclude=./build --exclude="./${OUT#"$PWD"/}" --exclude='*.o' \
			--exclude=./.git -cf - . | tar -xf - -C "$SRC"
	fi
}

# dpkg-buildpackage writes its results next to the source directory.
build() {
	flags=-b
	[ "$1" = indep ] && flags=-A
	copy_tree
	if [ -n "$AS_VERSION" ]; then
		echo "$AS_VERSION" >"$SRC/VERSION"
		{
			printf 'trustnode (%s) unstable; urgency=medium\n\n' "$AS_VERSION"
			printf '  * This tree, labelled %s for the upgrade test.\n\n' "$AS_VERSION"
			printf ' -- trustnode developers <trustnode@example.org>  %s\n\n' \
				"$(dpkg-parsechangelog -S Date)"
			cat debian/changelog
		} >"$SRC/debian/changelog"
	fi
	(cd "$SRC" && dpkg-buildpackage -us -uc "$flags" >"$OUT/build.log" 2>&1) || {
		tail -30 "$OUT/build.log" >&2
		echo "$0: dpkg-buildpackage failed; the whole log is $OUT/build.log" >&2
		exit 1
	}
}

case $mode in
all|indep)
	build "$mode"
	rm -f "$OUT"/*.deb "$OUT"/*.ddeb
	mv "$OUT"/src/*.deb "$OUT"/src/*.buildinfo "$OUT"/src/*.changes "$OUT"/ 2>/dev/null || true
	mv "$OUT"/src/*.ddeb "$OUT"/ 2>/dev/null || true
	rm -rf "$OUT/src"
	ls "$OUT"/*.deb
	;;
twice)
	# In two directories: the build path must not matter either.
	"$0" "$OUT/first" >/dev/null
	"$0" "$OUT/second" >/dev/null
	status=0
	for f in "$OUT"/first/*.deb; do
		if cmp -s "$f" "$OUT/second/$(basename "$f")"; then
			echo "same: $(basename "$f")"
		else
			echo "DIFFERENT: $(basename "$f")"
			status=1
		fi
	done
	exit $status
	;;
esac
