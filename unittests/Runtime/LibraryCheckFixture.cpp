//===- LibraryCheckFixture.cpp - A small shared library to truncate -------===//
//
// LibraryCheckTest copies this library (built like a kernel library: a plain
// shared object) and truncates the copies.
//
//===----------------------------------------------------------------------===//

extern "C" {
// Some code and initialised data, so that the library has text and data
// segments with file contents.
int photonFixtureTable[4096] = {1, 2, 3};
int photonFixtureSum(int n) {
  int s = 0;
  for (int i = 0; i < n && i < 4096; ++i)
    s += photonFixtureTable[i];
  return s;
}
}
