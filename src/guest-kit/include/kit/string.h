// string.h: the part of the C library's <string.h> a kernel needs. GCC may emit calls to memcpy, memmove,
// memset and memcmp on its own even with -ffreestanding (GCC manual, "C Dialect Options"), so these four must
// exist; the rest are for the guests' convenience.
#pragma once
#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);
