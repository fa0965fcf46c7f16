/** The rating scale every model predicts on: whole ratings MIN_RATING..MAX_RATING. */
export const MIN_RATING = 1;
export const MAX_RATING = 10;

/** Classes of the classifier: one per rating of the scale. */
export const RATING_CLASSES = MAX_RATING - MIN_RATING + 1;
