-- `recommendations` also checks who may read the user from this one row: the user's source
-- (NULL for no such user) comes with the history, so the access check and the history are one
-- round trip to the database instead of two.
DROP FUNCTION "user_history"(INTEGER);
CREATE FUNCTION "user_history"(p_user_id INTEGER, OUT user_source TEXT, OUT rated INTEGER[], OUT ratings INTEGER[], OUT watched INTEGER[])
LANGUAGE plpgsql STABLE AS $$
BEGIN
  SELECT (SELECT "source" FROM "app_user" WHERE "id" = p_user_id),
         ARRAY(SELECT "anime_id" FROM "rating" WHERE "user_id" = p_user_id ORDER BY "anime_id"),
         ARRAY(SELECT "rating"::INTEGER FROM "rating" WHERE "user_id" = p_user_id ORDER BY "anime_id"),
         ARRAY(SELECT "anime_id" FROM "watched" WHERE "user_id" = p_user_id)
    INTO user_source, rated, ratings, watched;
END
$$;
