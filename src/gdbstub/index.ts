// Public surface of src/gdbstub, the gdb Remote Serial Protocol server (README.md in this folder: files, limits,
// policies). The layers above use only what is exported here:
//  - startGdbServer / GdbServer / GdbServerOptions (server.ts): the TCP server, one GdbSession per connection;
//  - the target contract (target.ts): GdbTarget, which src/vmm implements, with RegisterInfo, BreakpointType,
//    BreakpointResult, ResumeAction and StopEvent.
// The codec, the session, the packet features and the target description are internal.

export { startGdbServer, type EarlyListener, type GdbServer, type GdbServerOptions } from './server.js';
export { BreakpointType, type BreakpointResult, type GdbTarget, type RegisterInfo, type ResumeAction, type StopEvent } from './target.js';
