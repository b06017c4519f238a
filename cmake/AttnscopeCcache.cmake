# Use ccache when it is installed (scripts/setup installs it): rebuilds in CI and after a branch
# switch then cost seconds.
find_program(ATTNSCOPE_CCACHE ccache)
if(ATTNSCOPE_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${ATTNSCOPE_CCACHE})
  set(CMAKE_CUDA_COMPILER_LAUNCHER ${ATTNSCOPE_CCACHE})
endif()
