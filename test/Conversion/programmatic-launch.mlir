// photon-programmatic-launch: a kernel waits for the previous grid, then lets
// its successor be scheduled, before anything else; one marked
// photon.launch_dependents_at_end waits first and lets its successor be
// scheduled last; one marked photon.grid_wait_placed is left as it is. The
// module gains photon_programmatic_launch() -> 1.
// RUN: photon-opt %s -photon-programmatic-launch | FileCheck %s
// RUN: photon-opt %s -photon-programmatic-launch=trigger-at-start | FileCheck %s --check-prefix=START

// trigger-at-start: the successor may be scheduled before the wait, except
// after a launch that triggers at its end.
// START-LABEL: func.func @three_kernels(
// START: gpu.launch
// START-NEXT: nvvm.griddepcontrol launch_dependents
// START-NEXT: nvvm.griddepcontrol wait
// START-NEXT: memref.store
// START: gpu.launch
// START-NEXT: nvvm.griddepcontrol wait
// START-NEXT: memref.store
// START-NEXT: nvvm.griddepcontrol launch_dependents
// START-NEXT: gpu.terminator
// START: gpu.launch
// START-NOT: nvvm.griddepcontrol
// START: memref.store

// CHECK-LABEL: func.func @three_kernels(
// CHECK: gpu.launch
// CHECK-NEXT: nvvm.griddepcontrol wait
// CHECK-NEXT: nvvm.griddepcontrol launch_dependents
// CHECK-NEXT: memref.store
// CHECK: gpu.launch
// CHECK-NEXT: nvvm.griddepcontrol wait
// CHECK-NEXT: memref.store
// CHECK-NEXT: nvvm.griddepcontrol launch_dependents
// CHECK-NEXT: gpu.terminator
// CHECK: gpu.launch
// CHECK-NOT: nvvm.griddepcontrol
// CHECK: memref.store
// CHECK: func.func @photon_programmatic_launch() -> i32
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK-NEXT: return %[[ONE]] : i32
func.func @three_kernels(%out: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %v = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %v, %out[%bx] : memref<?xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %v, %out[%bx] : memref<?xf32>
    gpu.terminator
  } {photon.launch_dependents_at_end}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %v, %out[%c0] : memref<?xf32>
    gpu.terminator
  } {photon.grid_wait_placed}
  return
}
