# One place for warning flags (DESIGN.md §7.10: target-scoped, never global flag edits).
function(attnscope_set_warnings target)
  attnscope_set_cpu_flags(${target})
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wshadow=local -Wnon-virtual-dtor -Wno-missing-field-initializers>)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      # GCC 12 reports impossible memcpy overlaps inside libstdc++'s string concatenation at -O2
      # (GCC bug 105329, fixed in 13); it hides real warnings in the build log.
      target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wno-restrict>)
    endif()
    if(ATTNSCOPE_WERROR)
      target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
    endif()
  endif()
endfunction()

# The CPU baseline every C++ target is compiled for. x86-64-v3 (AVX2 + FMA + F16C, every x86 CPU
# since 2013) lets Eigen and our kernels use 256-bit FMA; without it Eigen falls back to SSE2 and
# the forward pass is several times slower. The binary checks the CPU at start-up and says so
# instead of dying on an illegal instruction. Set ATTNSCOPE_CPU_ARCH to "" for a generic build.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(ATTNSCOPE_CPU_ARCH "x86-64-v3" CACHE STRING "-march value for C++ targets (empty: compiler default)")
else()
  set(ATTNSCOPE_CPU_ARCH "" CACHE STRING "-march value for C++ targets (empty: compiler default)")
endif()
function(attnscope_set_cpu_flags target)
  if(ATTNSCOPE_CPU_ARCH AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-march=${ATTNSCOPE_CPU_ARCH}>)
    target_compile_definitions(${target} PRIVATE ATTNSCOPE_CPU_ARCH="${ATTNSCOPE_CPU_ARCH}")
  endif()
endfunction()
