#ifndef FEDSWIFT_CMALLOC_SHIM_H
#define FEDSWIFT_CMALLOC_SHIM_H
// glibc's mallopt and its M_* parameters, which Swift's Glibc module does not export.
#include <malloc.h>
#endif
