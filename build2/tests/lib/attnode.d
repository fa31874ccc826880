build2/tests/lib/attnode.o: tests/lib/attnode.c tests/lib/attnode.h \
 tests/lib/tnlib.h
tests/lib/attnode.h:
tests/lib/tnlib.h:
