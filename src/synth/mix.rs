//! How many devices play each scenario: relative shares, the three presets (`default`,
//! which every test and benchmark figure was made with, `field`, with every device-level
//! scenario, and `fleet`, which adds the fleet-level ones: a site outage, a reconnect
//! storm, timers on the path and an SDK cohort), and mixes of chosen scenarios in equal
//! parts.

use super::spec::Scenario;

/// Relative shares of devices per scenario (any unit; the presets sum to 1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mix {
    pub healthy: u32,
    pub token_renewal_mqtt: u32,
    pub token_renewal_node: u32,
    pub rapid_flapping: u32,
    pub chronic_flapping: u32,
    pub duplicate_identity: u32,
    pub credential_failure: u32,
    pub offline: u32,
    pub side_effect: u32,
    pub quiet_at_end: u32,
    pub incident_victim: u32,
    pub token_renewal_short: u32,
    pub token_renewal_c: u32,
    pub token_renewal_python: u32,
    pub token_renewal_no_404104: u32,
    pub takeover: u32,
    pub restart_twice_daily: u32,
    pub flapping_with_401003: u32,
    pub edge_modules: u32,
    pub site_outage: u32,
    pub reconnect_storm: u32,
    pub nat_idle: u32,
    pub edge_idle_module: u32,
    pub sdk_cohort_defect: u32,
}

impl Default for Mix {
    /// Mostly quiet or renewing devices, a few of each problem, 15% incident victims.
    /// The scenarios added after the first eleven get no share here: existing tests and
    /// benchmark figures were made with this mix, and its bytes must not move.
    fn default() -> Self {
        Mix {
            healthy: 370,
            token_renewal_mqtt: 200,
            token_renewal_node: 100,
            rapid_flapping: 20,
            chronic_flapping: 40,
            duplicate_identity: 20,
            credential_failure: 20,
            offline: 30,
            side_effect: 30,
            quiet_at_end: 20,
            incident_victim: 150,
            ..Mix::none()
        }
    }
}

impl Mix {
    /// No device plays anything; the base the other constructors fill in.
    const fn none() -> Mix {
        Mix {
            healthy: 0,
            token_renewal_mqtt: 0,
            token_renewal_node: 0,
            rapid_flapping: 0,
            chronic_flapping: 0,
            duplicate_identity: 0,
            credential_failure: 0,
            offline: 0,
            side_effect: 0,
            quiet_at_end: 0,
            incident_victim: 0,
            token_renewal_short: 0,
            token_renewal_c: 0,
            token_renewal_python: 0,
            token_renewal_no_404104: 0,
            takeover: 0,
            restart_twice_daily: 0,
            flapping_with_401003: 0,
            edge_modules: 0,
            site_outage: 0,
            reconnect_storm: 0,
            nat_idle: 0,
            edge_idle_module: 0,
            sdk_cohort_defect: 0,
        }
    }

    /// Every scenario present, spread like a mixed real fleet: a quarter quiet, a third
    /// renewing tokens with the SDKs' different periods, restarts and takeovers, edge
    /// devices, a few of each problem and 15% incident victims.
    pub fn field() -> Mix {
        Mix {
            healthy: 250,
            token_renewal_mqtt: 120,
            token_renewal_node: 60,
            rapid_flapping: 15,
            chronic_flapping: 30,
            duplicate_identity: 15,
            credential_failure: 15,
            offline: 25,
            side_effect: 25,
            quiet_at_end: 15,
            incident_victim: 150,
            token_renewal_short: 40,
            token_renewal_c: 40,
            token_renewal_python: 40,
            token_renewal_no_404104: 30,
            takeover: 40,
            restart_twice_daily: 50,
            flapping_with_401003: 10,
            edge_modules: 30,
            ..Mix::none()
        }
    }

    /// Every scenario, the fleet-level ones included: the field's mix with room made for
    /// a site outage (15%), a reconnect storm (15%), a few devices behind a NAT or with an
    /// idle Edge module, and an SDK release that flaps (3%, at least ten devices).
    pub fn fleet() -> Mix {
        Mix {
            healthy: 150,
            token_renewal_mqtt: 70,
            token_renewal_node: 30,
            rapid_flapping: 10,
            chronic_flapping: 15,
            duplicate_identity: 10,
            credential_failure: 10,
            offline: 15,
            side_effect: 15,
            quiet_at_end: 10,
            incident_victim: 150,
            token_renewal_short: 20,
            token_renewal_c: 30,
            token_renewal_python: 20,
            token_renewal_no_404104: 15,
            takeover: 20,
            restart_twice_daily: 25,
            flapping_with_401003: 10,
            edge_modules: 15,
            site_outage: 150,
            reconnect_storm: 150,
            nat_idle: 15,
            edge_idle_module: 15,
            sdk_cohort_defect: 30,
        }
    }

    /// Every device plays `scenario` (no incident unless it is `IncidentVictim`).
    pub fn only(scenario: Scenario) -> Mix {
        Mix::of(&[scenario])
    }

    /// Equal shares of the given scenarios and nothing else; none at all gives the
    /// all-healthy fleet of an empty mix.
    pub fn of(scenarios: &[Scenario]) -> Mix {
        let mut mix = Mix::none();
        for &scenario in scenarios {
            *mix.share_mut(scenario) = 1;
        }
        mix
    }

    pub fn share(&self, scenario: Scenario) -> u32 {
        // Through `share_mut`, so the scenario-to-field mapping is written once.
        let mut copy = *self;
        *copy.share_mut(scenario)
    }

    fn share_mut(&mut self, scenario: Scenario) -> &mut u32 {
        match scenario {
            Scenario::Healthy => &mut self.healthy,
            Scenario::TokenRenewalMqtt => &mut self.token_renewal_mqtt,
            Scenario::TokenRenewalNode => &mut self.token_renewal_node,
            Scenario::RapidFlapping => &mut self.rapid_flapping,
            Scenario::ChronicFlapping => &mut self.chronic_flapping,
            Scenario::DuplicateIdentity => &mut self.duplicate_identity,
            Scenario::CredentialFailure => &mut self.credential_failure,
            Scenario::Offline => &mut self.offline,
            Scenario::SideEffect => &mut self.side_effect,
            Scenario::QuietAtEnd => &mut self.quiet_at_end,
            Scenario::IncidentVictim => &mut self.incident_victim,
            Scenario::TokenRenewalShort => &mut self.token_renewal_short,
            Scenario::TokenRenewalC => &mut self.token_renewal_c,
            Scenario::TokenRenewalPython => &mut self.token_renewal_python,
            Scenario::TokenRenewalNo404104 => &mut self.token_renewal_no_404104,
            Scenario::Takeover => &mut self.takeover,
            Scenario::RestartTwiceDaily => &mut self.restart_twice_daily,
            Scenario::FlappingWith401003 => &mut self.flapping_with_401003,
            Scenario::EdgeModules => &mut self.edge_modules,
            Scenario::SiteOutage => &mut self.site_outage,
            Scenario::ReconnectStorm => &mut self.reconnect_storm,
            Scenario::NatIdle => &mut self.nat_idle,
            Scenario::EdgeIdleModule => &mut self.edge_idle_module,
            Scenario::SdkCohortDefect => &mut self.sdk_cohort_defect,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::spec::{FLEET_LEVEL, INCIDENT_VICTIM};

    #[test]
    fn the_default_mix_leaves_out_the_later_scenarios_and_the_field_mix_has_all() {
        for scenario in Scenario::ALL {
            let later = Scenario::ALL[INCIDENT_VICTIM + 1..].contains(&scenario);
            let fleet_level = Scenario::ALL[FLEET_LEVEL..].contains(&scenario);
            assert_eq!(Mix::default().share(scenario) == 0, later, "{scenario:?}");
            assert_eq!(
                Mix::field().share(scenario) > 0,
                !fleet_level,
                "{scenario:?}"
            );
            assert!(Mix::fleet().share(scenario) > 0, "{scenario:?}");
        }
        assert_eq!(Scenario::ALL[INCIDENT_VICTIM], Scenario::IncidentVictim);
        assert_eq!(Scenario::ALL[FLEET_LEVEL], Scenario::SiteOutage);
        for mix in [Mix::field(), Mix::fleet()] {
            let total: u32 = Scenario::ALL.iter().map(|s| mix.share(*s)).sum();
            assert_eq!(total, 1000, "{mix:?}");
        }
    }
}
