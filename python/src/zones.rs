//! `Zones`: zone sets read from GeoJSON.

#![allow(unused_imports)]
use std::path::PathBuf;

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use trailfence::io::{read_csv, ColumnNames, ReadOptions};
use trailfence::{BreachOptions, CurfewOptions, Incident, Mode, Target, TimeFormat, TimeParser, Window, ZoneSet};

use crate::convert::*;

/// Prepared zones.
#[pyclass(name = "Zones", module = "trailfence._trailfence", frozen)]
pub(crate) struct PyZones {
    pub(crate) inner: ZoneSet,
}

#[pymethods]
impl PyZones {
    /// Parses a GeoJSON FeatureCollection of zones.
    #[staticmethod]
    fn from_geojson_text(text: &str, source: &str) -> PyResult<Self> {
        Ok(PyZones {
            inner: trailfence::zones_from_geojson_str(text, source).map_err(to_py)?,
        })
    }

    /// Parses GeoJSON bytes (UTF-8 checked by the core, naming the line).
    #[staticmethod]
    fn from_geojson_bytes(bytes: &[u8], source: &str) -> PyResult<Self> {
        Ok(PyZones {
            inner: trailfence::zones_from_geojson_bytes(bytes, source).map_err(to_py)?,
        })
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// Zone ids in order.
    fn ids(&self) -> Vec<String> {
        self.inner.zones().iter().map(|z| z.zone.id.clone()).collect()
    }

    /// (id, kind) pairs.
    fn kinds(&self) -> Vec<(String, String)> {
        self.inner
            .zones()
            .iter()
            .map(|z| (z.zone.id.clone(), z.zone.kind.as_str().to_string()))
            .collect()
    }

    /// Whether zone `id` covers each (lon, lat) (boundary inside).
    fn covers<'py>(
        &self,
        py: Python<'py>,
        id: &str,
        lon: PyReadonlyArray1<'py, f64>,
        lat: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray1<bool>>> {
        let z = self
            .inner
            .by_id(id)
            .ok_or_else(|| ValidationError::new_err(format!("unknown zone id {id:?}")))?;
        let versions: Vec<&str> = self
            .inner
            .zones()
            .iter()
            .filter(|p| p.zone.id == id)
            .filter_map(|p| p.zone.effective.version.as_deref())
            .collect();
        if versions.len() > 1 {
            // Which geometry is meant depends on the time: refuse rather than guess.
            return Err(ValidationError::new_err(format!(
                "zone {id:?} has several versions ({}): covers() cannot tell which is meant",
                versions.join(", ")
            )));
        }
        let (lon, lat) = (lon.as_slice()?, lat.as_slice()?);
        if lon.len() != lat.len() {
            return Err(ValidationError::new_err("lon and lat differ in length"));
        }
        let out: Vec<bool> = py.detach(|| lon.iter().zip(lat).map(|(&x, &y)| z.region.covers(x, y)).collect());
        Ok(PyArray1::from_vec(py, out))
    }
}
