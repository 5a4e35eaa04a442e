"""问卷调查: questionnaires, public and interviewer answering, quotas, rates and the score they give."""
