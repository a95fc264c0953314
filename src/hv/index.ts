// Public surface of src/hv, the KVM model behind an ioctl-shaped API. The VMM (src/vmm/accel-kvm.ts) uses
// only what is exported here:
//  - KvmVcpu (kvm.ts): one vCPU, its methods named after the KVM ioctls (run = KVM_RUN -> KvmExit,
//    get/setRegs, get/setSregs, get/setFpu, get/setDebugRegs, get/setMsrs, setGuestDebug, get/setVcpuEvents,
//    translate = KVM_TRANSLATE, checkExtension, kick) plus inspect() for the monitor and logs;
//  - the uapi side (kvm-api.ts): KVM_GUESTDBG_* flags, KVM_CAP_* numbers, the ioctl structs, the kvm_run exit
//    area, and KvmConfig, the hypervisor's own configuration slice;
//  - the KVM rules as pure functions: debug-register math (debugregs.ts: kvm_deliver_exception_payload,
//    kvm_dr6_fixed, the DR6/DR7 stores, kvm_vcpu_check_hw_bp) and kvm_is_valid_sregs (sregs.ts).
// kvm-state.ts (the vCPU's state, the world switch, the exception queue and injection) and kvm-core.ts (KVM_RUN,
// the intercepts as the CPU's host, the exit handlers) are internal. The architectural debug-register
// fields themselves live in src/cpu/dr-fields.ts.

export * from './kvm.js';
export * from './debugregs.js';
export * from './sregs.js';
