//! Every function DataFusion registers: supported end to end, or refused by name.
