#pragma once
// ATTNSCOPE_HD marks functions shared by host C++ (CPU reference, drawing) and CUDA device code.
#if defined(__CUDACC__)
#define ATTNSCOPE_HD __host__ __device__ inline
#else
#define ATTNSCOPE_HD inline
#endif
