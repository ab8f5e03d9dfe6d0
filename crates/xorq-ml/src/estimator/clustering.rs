//! `KMeans` (`linfa-clustering`, k-means++ initialisation), seeded by `random_state` so a fit
//! is the same on every run.

use linfa::DatasetBase;
use linfa::traits::Fit;
use linfa_clustering::KMeans;
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::SeedableRng;
use serde_json::{Map, Value};

use super::linear::matrix;
use super::params::{Accepts, Hyper, int, number};
use super::{Def, Kind, Training};
use crate::error::{MlError, Result};
use crate::model::{Model, Output, State};

pub(crate) const KMEANS: Def = Def {
    name: "KMeans",
    version: 1,
    kind: Kind::Clusterer,
    hyper: &[
        Hyper::new("n_clusters", Accepts::IntAtLeast(1), "8"),
        Hyper::new("init", Accepts::OneOf(&["k-means++"]), "\"k-means++\""),
        Hyper::new("n_init", Accepts::IntAtLeast(1), "1"),
        Hyper::new("max_iter", Accepts::IntAtLeast(1), "300"),
        Hyper::new("tol", Accepts::Positive, "0.0001"),
        Hyper::new("random_state", Accepts::Seed, "null"),
        Hyper::new("algorithm", Accepts::OneOf(&["lloyd"]), "\"lloyd\""),
    ],
    fit: fit_kmeans,
};

fn fit_kmeans(params: &Map<String, Value>, t: &Training) -> Result<Model> {
    let k = int(params, "n_clusters").unwrap_or(8) as usize;
    if t.rows() < k {
        return Err(MlError::Fit(format!("KMeans: {k} clusters need at least {k} training rows, found {}", t.rows())));
    }
    // No seed means seed 0: a fit is a function of its inputs, so it is the same on every run.
    let seed = int(params, "random_state").unwrap_or(0) as u64;
    let data = DatasetBase::from(matrix(t)?);
    let fitted = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
        .n_runs(int(params, "n_init").unwrap_or(1) as usize)
        .max_n_iterations(int(params, "max_iter").unwrap_or(300) as u64)
        .tolerance(number(params, "tol"))
        .fit(&data)
        .map_err(|e| MlError::Fit(format!("KMeans: {e}")))?;
    let centroids: Vec<Vec<f64>> = fitted.centroids().rows().into_iter().map(|r| r.to_vec()).collect();
    Ok(Model::new(
        "KMeans",
        Value::Object(params.clone()),
        t.n_features,
        t.rows(),
        Output::Clusters { n_clusters: k },
        State::Centroids { centroids },
    ))
}
