"""The clinician's chart and the patient's view: selectors fetch through ehr, pure mappers, thin views."""
