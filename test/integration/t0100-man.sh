#!/usr/bin/env bash
# The man pages: every command of `eddy help` and every configuration table
# has one, every long option of a command's --help is in its page, each
# built page renders without a warning (man --warnings) and make install
# puts them in man1, man5 and man8, and the guides (docs/*.md) in
# share/doc/eddy.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
src=$EDDY_SRCDIR
ok "every command, option and table has its page (man-check.py)" \
    python3 "$src/test/integration/man-check.py" "$src"
has "$TMP/out" '^[0-9]+ commands, [0-9]+ tables, 0 problems' "checked them all"

pages=$(cd "$src/doc/man" && ls ./*.scd | sed 's|^\./||; s|\.scd$||')
missing=""
for p in $pages; do
    tr -s ' \\\t' '\n\n' <"$src/doc/man/Makefile.inc" | grep -qxF "doc/man/$p" || missing="$missing $p"
done
[ -z "$missing" ]; _report $? "every doc/man/*.scd is built (doc/man/Makefile.inc)${missing:+: not$missing}" /dev/null

if [ ! -f "$EDDY_BUILDDIR/doc/man/eddy.1" ]; then
    echo "# skip: the pages are not built (configure found no scdoc: apt-get install -y scdoc)"
elif ! command -v man >/dev/null; then
    echo "# skip: no man to render the pages (apt-get install -y man-db)"
else
    warned=""
    for p in $pages; do
        f="$EDDY_BUILDDIR/doc/man/$p"
        if [ ! -f "$f" ]; then
            warned="$warned $p(not built)"; continue
        fi
        # stderr only: the warnings of man, groff and its macros
        MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$f" 2>"$TMP/w.$p" >/dev/null ||
            warned="$warned $p(exit $?)"
        [ -s "$TMP/w.$p" ] && { warned="$warned $p"; cat "$TMP/w.$p" >>"$TMP/warnings"; }
    done
    touch "$TMP/warnings"
    [ -z "$warned" ]; _report $? "man --warnings -l: no warning for $(echo $pages | wc -w) pages${warned:+:$warned}" "$TMP/warnings"
    MANWIDTH=80 man -l "$EDDY_BUILDDIR/doc/man/eddy-submit.1" >"$TMP/submit.txt" 2>&1
    has "$TMP/submit.txt" '^ +--dependency=SCHEME:JOB' "eddy-submit(1) renders its options"
    # the install: into a scratch DESTDIR, the man pages only
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$EDDY_BUILDDIR" install-man \
        DESTDIR="$TMP/inst" >"$TMP/out" 2>&1
    _report $? "make install-man" "$TMP/out"
    n1=$(find "$TMP/inst" -path '*/man/man1/eddy*.1' | wc -l)
    n5=$(find "$TMP/inst" -path '*/man/man5/eddy-config-*.5' | wc -l)
    n8=$(find "$TMP/inst" -path '*/man/man8/eddy*.8' | wc -l)
    want1=$(grep -c '\.1$' <<<"$pages"); want5=$(grep -c '\.5$' <<<"$pages")
    want8=$(grep -c '\.8$' <<<"$pages")
    [ "$n1" -eq "$want1" ] && [ "$n5" -eq "$want5" ] && [ "$n8" -eq "$want8" ] &&
        [ -n "$(find "$TMP/inst" -path '*/man/man8/eddy-broker.8')" ]
    _report $? "installs $n1 pages in man1, $n5 in man5, $n8 in man8" /dev/null
fi
# the guides: every docs/*.md into $(docdir) (share/doc/eddy), as the .deb has them
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$EDDY_BUILDDIR" install-dist_docDATA \
    DESTDIR="$TMP/docs" >"$TMP/out" 2>&1
_report $? "make install-dist_docDATA" "$TMP/out"
missing=""
for d in $(cd "$src/docs" && ls ./*.md | sed 's|^\./||'); do
    [ -n "$(find "$TMP/docs" -path "*/share/doc/eddy/$d")" ] || missing="$missing $d"
done
[ -z "$missing" ]; _report $? "make install puts every guide (docs/*.md) in share/doc/eddy${missing:+: not$missing}" /dev/null
finish
