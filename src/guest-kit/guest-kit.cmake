# guest-kit.cmake: ring1_add_guest(), which builds an ELF32 kernel (multiboot header and Xen PV notes) from a guest's C and assembly
# sources and the guest kit, with the host's gcc in 32-bit freestanding mode (gcc-multilib provides -m32 and
# its libgcc). The project itself is C++ built by CMake's normal rules; guest code is compiled by custom
# commands instead, so that none of the host flags (sanitizers, PIE, -O levels of the preset) reach it.
#
#   include(${PROJECT_SOURCE_DIR}/src/guest-kit/guest-kit.cmake)
#   ring1_add_guest(hello SOURCES hello/hello.c)                        # -> ${CMAKE_CURRENT_BINARY_DIR}/hello.elf
#   ring1_add_guest(rings SOURCES rings/kernel.c USER_SOURCES rings/user.c)
#
# USER_SOURCES are compiled the same way, then their sections are renamed .user.* so that kernel.ld gathers
# them into the pages the kit maps user-accessible (ring 3 may run only what lives there). The kit's objects
# are built once per including directory.
include_guard(DIRECTORY)

set(RING1_GUEST_KIT_DIR ${CMAKE_CURRENT_LIST_DIR})
set(RING1_GUEST_CFLAGS
    -m32 -march=i686 -std=gnu11 -O2 -g
    -ffreestanding -fno-pic -fno-pie -fno-stack-protector -fcf-protection=none
    -mno-sse -mgeneral-regs-only           # no x87/SSE state: ring1 does not model the FPU
    -fno-asynchronous-unwind-tables
    -fno-tree-loop-distribute-patterns     # else GCC turns string.c's loops into calls to themselves
    -Wall -Wextra
    -I${RING1_GUEST_KIT_DIR}/include -I${RING1_GUEST_KIT_DIR}
    -I${RING1_GUEST_KIT_DIR}/..)            # common/io_ring.h, the ring code the host's back ends share
set(RING1_GUEST_LDFLAGS
    -m32 -nostdlib -static -no-pie -T ${RING1_GUEST_KIT_DIR}/kernel.ld
    -Wl,-z,max-page-size=0x1000 -Wl,--build-id=none
    -Wl,--no-warn-rwx-segments)          # the user image is code and data; the page tables set access

# Compiles each of SOURCES (paths relative to the current source directory, or absolute) into obj_dir and
# appends the object paths to out_var. PREFIX_USER renames the objects' sections to .user.*.
function(_ring1_guest_compile out_var obj_dir prefix_user)
  set(objs ${${out_var}})
  file(MAKE_DIRECTORY ${obj_dir})
  foreach(src IN LISTS ARGN)
    get_filename_component(abs ${src} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    get_filename_component(stem ${src} NAME)
    set(obj ${obj_dir}/${stem}.o)
    if(prefix_user)
      set(raw ${obj_dir}/${stem}.kernel.o)
      add_custom_command(
        OUTPUT ${obj}
        COMMAND ${CMAKE_C_COMPILER} ${RING1_GUEST_CFLAGS} -MD -MF ${obj}.d -MT ${obj} -c ${abs} -o ${raw}
        COMMAND ${CMAKE_OBJCOPY} --prefix-alloc-sections=.user ${raw} ${obj}
        DEPENDS ${abs}
        DEPFILE ${obj}.d
        COMMENT "Compiling guest user code ${src}"
        VERBATIM)
    else()
      add_custom_command(
        OUTPUT ${obj}
        COMMAND ${CMAKE_C_COMPILER} ${RING1_GUEST_CFLAGS} -MD -MF ${obj}.d -MT ${obj} -c ${abs} -o ${obj}
        DEPENDS ${abs}
        DEPFILE ${obj}.d
        COMMENT "Compiling guest code ${src}"
        VERBATIM)
    endif()
    list(APPEND objs ${obj})
  endforeach()
  set(${out_var} ${objs} PARENT_SCOPE)
endfunction()

# The kit: what every guest links (common code over platform.h) and both platforms, native (multiboot entry)
# and paravirtual (Xen PV entry), so that every kit image boots either way.
set(_kit ${RING1_GUEST_KIT_DIR})
set(RING1_GUEST_KIT_OBJECTS "")
_ring1_guest_compile(RING1_GUEST_KIT_OBJECTS ${CMAKE_CURRENT_BINARY_DIR}/guest-kit OFF
  ${_kit}/native/multiboot.S ${_kit}/native/start_of_day.c ${_kit}/native/descriptors.c
  ${_kit}/native/pic.c ${_kit}/native/pit.c ${_kit}/native/uart16550.c ${_kit}/native/platform_native.c
  ${_kit}/pv/xen_entry.S ${_kit}/pv/start_of_day_pv.c ${_kit}/pv/platform_pv.c
  ${_kit}/pv/events.c ${_kit}/pv/event_entry.S
  ${_kit}/platform.c ${_kit}/trap_entry.S
  ${_kit}/format.c ${_kit}/string.c ${_kit}/trap.c ${_kit}/frames.c ${_kit}/paging.c ${_kit}/user.c
  ${_kit}/user_entry.S)
# One target owns the kit's build rules; every guest of this directory depends on it, so that parallel builds of
# several guests never run the same rule twice (see add_custom_command's notes on outputs in several targets).
# Linked only into guests that ask for it (ring1_add_guest's PROCESSES): kit/processes.h, for kernels that
# run many user processes. Other guests' images, and so their pinned counts, stay as they were.
set(RING1_GUEST_KIT_PROCESS_OBJECTS "")
_ring1_guest_compile(RING1_GUEST_KIT_PROCESS_OBJECTS ${CMAKE_CURRENT_BINARY_DIR}/guest-kit OFF
  ${_kit}/processes/user_return.c ${_kit}/processes/frame_iret.S)
# Likewise the xenstore client (ring1_add_guest's XENBUS): kit/xenbus.h, for guests that use the store.
set(RING1_GUEST_KIT_XENBUS_OBJECTS "")
_ring1_guest_compile(RING1_GUEST_KIT_XENBUS_OBJECTS ${CMAKE_CURRENT_BINARY_DIR}/guest-kit OFF ${_kit}/pv/xenbus.c)
# The grant table (kit/gnttab.h), which every split-driver front end links once, whichever of them a guest uses.
set(RING1_GUEST_KIT_GNTTAB_OBJECTS "")
_ring1_guest_compile(RING1_GUEST_KIT_GNTTAB_OBJECTS ${CMAKE_CURRENT_BINARY_DIR}/guest-kit OFF ${_kit}/pv/gnttab.c)
# The network front end (ring1_add_guest's NETFRONT): kit/netfront.h over the grant table.
set(RING1_GUEST_KIT_NETFRONT_OBJECTS "")
_ring1_guest_compile(RING1_GUEST_KIT_NETFRONT_OBJECTS ${CMAKE_CURRENT_BINARY_DIR}/guest-kit OFF ${_kit}/pv/netfront.c)
# The block front end (ring1_add_guest's BLKFRONT): kit/blkfront.h over the grant table.
set(RING1_GUEST_KIT_BLKFRONT_OBJECTS "")
_ring1_guest_compile(RING1_GUEST_KIT_BLKFRONT_OBJECTS ${CMAKE_CURRENT_BINARY_DIR}/guest-kit OFF ${_kit}/pv/blkfront.c)
file(RELATIVE_PATH _dir ${PROJECT_BINARY_DIR} ${CMAKE_CURRENT_BINARY_DIR})
string(MAKE_C_IDENTIFIER "guest-kit-${_dir}" RING1_GUEST_KIT_TARGET)
add_custom_target(${RING1_GUEST_KIT_TARGET} DEPENDS ${RING1_GUEST_KIT_OBJECTS} ${RING1_GUEST_KIT_PROCESS_OBJECTS}
                  ${RING1_GUEST_KIT_XENBUS_OBJECTS} ${RING1_GUEST_KIT_GNTTAB_OBJECTS}
                  ${RING1_GUEST_KIT_NETFRONT_OBJECTS} ${RING1_GUEST_KIT_BLKFRONT_OBJECTS})

# ring1_add_guest(name SOURCES file... [USER_SOURCES file...] [PROCESSES] [XENBUS] [GNTTAB] [NETFRONT] [BLKFRONT]): builds
# ${CMAKE_CURRENT_BINARY_DIR}/name.elf, part of the default build (target guest-name). PROCESSES links the
# kit's process support (kit/processes.h) too; XENBUS its xenstore client (kit/xenbus.h); GNTTAB its grant
# table alone (kit/gnttab.h); NETFRONT its
# network front end, BLKFRONT its block front end, each with the grant table (kit/netfront.h, kit/blkfront.h,
# kit/gnttab.h; each implies XENBUS).
function(ring1_add_guest name)
  cmake_parse_arguments(PARSE_ARGV 1 G "PROCESSES;XENBUS;GNTTAB;NETFRONT;BLKFRONT" "" "SOURCES;USER_SOURCES")
  if(NOT G_SOURCES)
    message(FATAL_ERROR "ring1_add_guest(${name}): no SOURCES")
  endif()
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/${name}.objs)
  set(objs "")
  _ring1_guest_compile(objs ${dir} OFF ${G_SOURCES})
  _ring1_guest_compile(objs ${dir} ON ${G_USER_SOURCES})
  if(G_PROCESSES)
    list(APPEND objs ${RING1_GUEST_KIT_PROCESS_OBJECTS})
  endif()
  if(G_XENBUS OR G_NETFRONT OR G_BLKFRONT)
    list(APPEND objs ${RING1_GUEST_KIT_XENBUS_OBJECTS})
  endif()
  if(G_GNTTAB OR G_NETFRONT OR G_BLKFRONT)
    list(APPEND objs ${RING1_GUEST_KIT_GNTTAB_OBJECTS})
  endif()
  if(G_NETFRONT)
    list(APPEND objs ${RING1_GUEST_KIT_NETFRONT_OBJECTS})
  endif()
  if(G_BLKFRONT)
    list(APPEND objs ${RING1_GUEST_KIT_BLKFRONT_OBJECTS})
  endif()
  set(elf ${CMAKE_CURRENT_BINARY_DIR}/${name}.elf)
  add_custom_command(
    OUTPUT ${elf}
    COMMAND ${CMAKE_C_COMPILER} ${RING1_GUEST_LDFLAGS} -o ${elf} ${RING1_GUEST_KIT_OBJECTS} ${objs} -lgcc
    DEPENDS ${RING1_GUEST_KIT_OBJECTS} ${objs} ${RING1_GUEST_KIT_DIR}/kernel.ld
    COMMENT "Linking guest ${name}.elf"
    VERBATIM)
  add_custom_target(guest-${name} ALL DEPENDS ${elf})
  add_dependencies(guest-${name} ${RING1_GUEST_KIT_TARGET})
endfunction()
