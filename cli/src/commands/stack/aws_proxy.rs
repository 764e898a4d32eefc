//! Each function's view of AWS in the local stack: a loopback proxy in front of the emulator
//! that checks every call against the function's role (filled in next).
