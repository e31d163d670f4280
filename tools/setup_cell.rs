:cache 1024
:dep lab = { path = "../helpers" }
use lab::prelude::*;
lab::ready()?;
